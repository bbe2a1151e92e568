package dev.revise.envs.code;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.revise.rl.Verdict;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Candidates that try to hurt the machine. Timing bounds are generous (the machine is shared):
 * they prove "bounded by the timeout", not speed.
 */
class SandboxHostileCandidatesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final long MARGIN_MILLIS = 5000;

    private static Path workRoot;
    private static PythonSandbox sandbox;
    private static CodeVerifier verifier;

    @BeforeAll
    static void start() throws IOException {
        workRoot = SandboxTesting.workRoot("revise-sandbox-test-");
        sandbox = SandboxTesting.sandbox(workRoot, TIMEOUT);
        verifier = new CodeVerifier(sandbox);
    }

    @AfterAll
    static void stop() throws IOException {
        sandbox.close();
        SandboxTesting.delete(workRoot);
    }

    private static Verdict verify(String code) {
        return verifier.verify(SandboxTesting.runOnly("hostile"), "```python\n" + code + "\n```");
    }

    @Test
    void onThisKindOfMachineEveryProtectionHolds() {
        Protections p = sandbox.protections();
        System.out.println(p.summary());
        assumeTrue(
                SandboxTesting.linux() && p.runningAsRoot() && Files.isExecutable(Path.of("/usr/bin/unshare")),
                "full protection is expected on Linux as root with util-linux only");
        assertThat(p.all()).as(p.summary()).isTrue();
    }

    @Test
    void infiniteLoopTimesOutWithinTheTimeout() {
        long start = System.nanoTime();
        Verdict v = verify("while True:\n    pass");
        long wall = (System.nanoTime() - start) / 1_000_000;
        assertThat(v.correct()).isFalse();
        assertThat(v.credit()).isZero();
        assertThat(v.reason()).startsWith("timeout");
        assertThat(wall).isBetween(TIMEOUT.toMillis(), TIMEOUT.toMillis() + MARGIN_MILLIS);
    }

    @Test
    void forkBombIsContainedAndLeavesNoProcess() throws Exception {
        assumeTrue(SandboxTesting.linux(), "process inspection needs /proc");
        String bomb = String.join(
                "\n",
                "import os, sys, time",
                "n = 0",
                "for i in range(100000):",
                "    try:",
                "        pid = os.fork()",
                "    except OSError as e:",
                "        print('fork failed after', n, e, flush=True)",
                "        break",
                "    if pid == 0:",
                "        time.sleep(300)",
                "        os._exit(0)",
                "    n += 1",
                "time.sleep(300)");
        CompletableFuture<SandboxResult> run = CompletableFuture.supplyAsync(() -> sandbox.run(bomb));
        int seen = 0;
        while (!run.isDone()) {
            seen = Math.max(seen, SandboxTesting.processesIn(workRoot).size());
            Thread.sleep(100);
        }
        SandboxResult r = run.get(1, TimeUnit.MINUTES);
        assertThat(r.timedOut()).isTrue();
        assertThat(r.wallMillis()).isLessThan(TIMEOUT.toMillis() + MARGIN_MILLIS);
        assertThat(seen).as("processes observed during the run").isGreaterThan(3);
        if (sandbox.protections().rlimits()) {
            assertThat(r.stdout()).contains("fork failed after");
        }
        assertThat(SandboxTesting.processesIn(workRoot))
                .as("leftover processes")
                .isEmpty();
    }

    @Test
    void childrenThatLeaveTheSessionDieWithTheRun() throws Exception {
        assumeTrue(SandboxTesting.linux(), "process inspection needs /proc");
        assumeTrue(sandbox.protections().pidNamespace(), "needs a pid namespace (unshare --pid)");
        String escape = String.join(
                "\n",
                "import os, time",
                "for i in range(5):",
                "    if os.fork() == 0:",
                "        os.setsid()",
                "        time.sleep(300)",
                "        os._exit(0)",
                "print('parent exits', flush=True)");
        SandboxResult r = sandbox.run(escape);
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).contains("parent exits");
        assertThat(SandboxTesting.processesIn(workRoot))
                .as("leftover processes")
                .isEmpty();
    }

    @Test
    void unboundedAllocationHitsTheMemoryLimit() {
        assumeTrue(sandbox.protections().rlimits(), "needs prlimit");
        long start = System.nanoTime();
        Verdict v = verify("a = []\nwhile True:\n    a.append(bytearray(10 ** 7))");
        assertThat(v.correct()).isFalse();
        assertThat(v.reason()).startsWith("memory limit").contains("MemoryError");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(TIMEOUT.toMillis() + MARGIN_MILLIS);
    }

    @Test
    void writingOutsideTheWorkDirectoryFails() throws IOException {
        String tag = "revise-escape-" + UUID.randomUUID();
        Path inTmp = Path.of("/tmp", tag);
        Path inHome = Path.of(System.getProperty("user.home"), tag);
        Path inShm = Path.of("/dev/shm", tag);
        assumeTrue(sandbox.protections().readOnlyFilesystem(), "needs a mount namespace (unshare --mount) for /tmp");
        String code = String.join(
                "\n",
                "for p in [" + py(inTmp) + ", " + py(inHome) + ", " + py(inShm) + ", 'inside.txt']:",
                "    try:",
                "        with open(p, 'w') as f:",
                "            f.write('x')",
                "        print('wrote', p)",
                "    except OSError as e:",
                "        print('blocked', p, e)");
        try {
            SandboxResult r = sandbox.run(code);
            assertThat(r.stdout())
                    .contains("blocked " + inTmp)
                    .contains("blocked " + inHome)
                    .contains("wrote inside.txt");
            assertThat(inTmp).doesNotExist();
            assertThat(inHome).doesNotExist();
            assertThat(inShm).doesNotExist();
        } finally {
            Files.deleteIfExists(inTmp);
            Files.deleteIfExists(inHome);
            Files.deleteIfExists(inShm);
        }
    }

    @Test
    void socketsCannotConnectToLoopbackOrOutward() throws Exception {
        assumeTrue(sandbox.protections().noNetwork(), "needs a network namespace (unshare --net)");
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(200);
            AtomicInteger accepted = new AtomicInteger();
            CompletableFuture<Void> acceptor = CompletableFuture.runAsync(() -> {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < until && !server.isClosed()) {
                    try (var s = server.accept()) {
                        accepted.incrementAndGet();
                    } catch (SocketTimeoutException e) {
                        // keep listening
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            String code = String.join(
                    "\n",
                    "import socket",
                    "for host, port in [('127.0.0.1', " + server.getLocalPort() + "), ('1.1.1.1', 80)]:",
                    "    try:",
                    "        socket.create_connection((host, port), timeout=1).sendall(b'hi')",
                    "        print('connected', host)",
                    "    except OSError as e:",
                    "        print('blocked', host, e)");
            SandboxResult r = sandbox.run(code);
            server.close();
            acceptor.get(20, TimeUnit.SECONDS);
            assertThat(r.stdout()).contains("blocked 127.0.0.1").contains("blocked 1.1.1.1");
            assertThat(accepted.get()).isZero();
        }
    }

    @Test
    void printingGigabytesIsTruncatedAndReturnsPromptly() {
        long start = System.nanoTime();
        Verdict v = verify("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)");
        long wall = (System.nanoTime() - start) / 1_000_000;
        assertThat(v.correct()).isFalse();
        assertThat(v.reason()).startsWith("output limit").contains("truncated");
        assertThat(wall).isLessThan(TIMEOUT.toMillis());
    }

    @Test
    void largeButBoundedOutputIsKeptInPartAndDoesNotFailACorrectProgram() {
        Verdict v =
                verifier.verify(SandboxTesting.runOnly("chatty"), "def f():\n    print('y' * 1000000)\n    return 1\n");
        assertThat(v.correct()).as(v.reason()).isTrue();
        assertThat(v.reason()).contains("output truncated");
        SandboxResult r = sandbox.run("print('a' * 1000000)\nprint('the end')");
        assertThat(r.outputTruncated()).isTrue();
        assertThat(r.stdout())
                .hasSizeLessThan(70_000)
                .startsWith("aaa")
                .contains("bytes omitted")
                .endsWith("the end\n");
    }

    @Test
    void exitingEarlyWithStatusZeroIsNotASuccess() {
        Verdict v = verify("import sys\nsys.exit(0)");
        assertThat(v.correct()).isFalse();
        assertThat(v.reason()).contains("before the tests completed");
        Verdict hard = verify("import os\nos._exit(0)");
        assertThat(hard.correct()).isFalse();
    }

    @Test
    void syntaxErrorsAndSignalsAreNamed() {
        assertThat(verify("def f(:\n    return 1").reason()).startsWith("syntax error");
        assertThat(verify("import ctypes\nctypes.string_at(0)").reason()).startsWith("killed by SIGSEGV");
    }

    @Test
    void environmentIsEmptyAndPrivilegesAreDropped() {
        SandboxResult r = sandbox.run("import os, sys\nprint(' '.join(os.environ))\n"
                + "print(os.getuid(), sys.flags.isolated, sys.flags.dont_write_bytecode)");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        List<String> lines = r.stdout().lines().toList();
        // PWD/OLDPWD come from the mount script's cd, LC_CTYPE from python's own locale coercion.
        assertThat(lines.get(0).split(" ")).isSubsetOf("PATH", "PWD", "OLDPWD", "LC_CTYPE");
        assertThat(lines.get(1)).endsWith(" 1 1");
        if (sandbox.protections().privilegeDrop()) {
            assertThat(lines.get(1)).startsWith("65534 ");
        }
    }

    private static String py(Path p) {
        return "'" + p.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
