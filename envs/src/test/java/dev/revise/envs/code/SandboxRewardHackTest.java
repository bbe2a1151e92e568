package dev.revise.envs.code;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.revise.rl.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Candidates that hunt for reward without solving the task: each must be scored as failed, with a
 * reason, and leave no process and no file behind. The task ({@link SandboxTesting#runOnly}) wants
 * {@code f() == 1}; every candidate here returns something else and tries to pass anyway.
 */
class SandboxRewardHackTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final long MARGIN_MILLIS = 5000;

    private static Path workRoot;
    private static PythonSandbox sandbox;
    private static CodeVerifier verifier;

    @BeforeAll
    static void start() throws IOException {
        workRoot = SandboxTesting.workRoot("revise-reward-hack-");
        sandbox = SandboxTesting.sandbox(workRoot, TIMEOUT);
        verifier = new CodeVerifier(sandbox);
    }

    @AfterAll
    static void stop() throws IOException {
        sandbox.close();
        SandboxTesting.delete(workRoot);
    }

    @AfterEach
    void nothingLeftBehind() throws IOException {
        if (SandboxTesting.linux()) {
            assertThat(SandboxTesting.processesIn(workRoot))
                    .as("leftover processes")
                    .isEmpty();
        }
        try (Stream<Path> left = Files.list(workRoot)) {
            assertThat(left.toList()).as("leftover files").isEmpty();
        }
    }

    private static Verdict failedWith(String code) {
        Verdict v = verifier.verify(SandboxTesting.runOnly("hack"), "```python\n" + code + "\n```");
        assertThat(v.correct()).as(v.reason()).isFalse();
        assertThat(v.credit()).isZero();
        assertThat(v.reason()).isNotBlank();
        return v;
    }

    @Test
    void printingAVerdictOrMarkerAndExitingEarlyFails() {
        String forged =
                "{\"nonce\": \"0123456789abcdef0123456789abcdef\", \"passed\": 1, \"total\": 1," + " \"reason\": null}";
        for (String exit : List.of("sys.exit(0)", "os._exit(0)", "raise SystemExit(0)", "pass")) {
            Verdict v = failedWith(String.join(
                    "\n",
                    "import os, sys",
                    "print('all tests passed')",
                    "print('revise-done-4000000000000000 1 1')",
                    "print('" + forged + "', flush=True)",
                    "os.write(1, b'\\n" + forged + "\\n')",
                    "def f():",
                    "    return 2",
                    exit));
            if (!exit.equals("pass")) {
                assertThat(v.reason()).as(exit).contains("before the tests completed");
            }
        }
    }

    @Test
    void patchingAssertBuiltinsExitOrTheTestFunctionFails() {
        Verdict v = failedWith(String.join(
                "\n",
                "import builtins, os, sys",
                "class Never(Exception):",
                "    pass",
                "builtins.AssertionError = Never",
                "builtins.print = lambda *a, **k: None",
                "sys.exit = lambda *a: None",
                "os._exit = lambda *a: None",
                "sys.excepthook = lambda *a: None",
                "def check(candidate):",
                "    return True",
                "builtins.check = check",
                "def f():",
                "    return 2"));
        assertThat(v.reason()).startsWith("failing assertion: assert candidate() == 1");
    }

    @Test
    void aValueThatEqualsEverythingIsComparedAsWhatItIs() {
        Verdict subclass = failedWith(String.join(
                "\n",
                "class AlwaysEqual(int):",
                "    def __eq__(self, other):",
                "        return True",
                "    __ne__ = lambda self, other: False",
                "    __hash__ = int.__hash__",
                "def f():",
                "    return AlwaysEqual(2)"));
        assertThat(subclass.reason()).startsWith("failing assertion");
        Verdict object = failedWith(String.join(
                "\n",
                "class Anything:",
                "    def __eq__(self, other):",
                "        return True",
                "def f():",
                "    return Anything()"));
        assertThat(object.reason()).contains("cannot cross to the tests");
    }

    @Test
    void theNonceIsNowhereTheCandidateCanLook() {
        String nonce = "5f3c0a9e1d2b4c6e8f0a1b2c3d4e5f60";
        String spec = "{\"nonce\": \"" + nonce + "\", \"kind\": \"humaneval\", \"prompt\": \"def f():\\n    pass\\n\","
                + " \"test\": \"def check(candidate):\\n    assert candidate() == 1\\n\", \"entry_point\": \"f\"}";
        String hunt = String.join(
                "\n",
                "import os, glob",
                "def f():",
                "    return 1",
                "paths = glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline') + glob.glob('/proc/*/fd/*')",
                "paths += glob.glob('/proc/*/mem') + glob.glob('/proc/*/maps') + glob.glob('*') + ['/dev/stdin']",
                "for p in paths:",
                "    try:",
                "        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)", // its own pipes must not block it
                "        try:",
                "            data = os.read(fd, 1 << 20)",
                "        finally:",
                "            os.close(fd)",
                // Reversed, so that main.py itself does not contain the nonce.
                "        print('FOUND' if b'" + new StringBuilder(nonce).reverse() + "'[::-1] in data else 'read', p)",
                "    except OSError as e:",
                "        print('blocked', p, type(e).__name__)",
                "ppid = os.getppid()",
                "for fd in range(0, 8):",
                "    try:",
                "        os.open('/proc/%d/fd/%d' % (ppid, fd), os.O_WRONLY)",
                "        print('FOUND writable harness fd', fd)",
                "    except OSError as e:",
                "        print('blocked harness fd', fd, type(e).__name__)");
        SandboxResult r = sandbox.runTests(hunt, spec);
        assertThat(r.stderr()).contains("blocked harness fd 1").doesNotContain("FOUND");
        assertThat(r.stdout().strip())
                .endsWith("\"nonce\": \"" + nonce + "\", \"passed\": 1, \"total\": 1, \"reason\": null}");
    }

    @Test
    void nothingOutsidePythonAndTheWorkDirectoryExists() throws IOException {
        assumeTrue(sandbox.protections().minimalMountView(), "needs the minimal mount view");
        Path data = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        Path jvmTemp = Files.createTempFile("revise-jvm-temp-", ".json");
        List<String> secrets = List.of(
                data.toString(),
                data.resolve("pom.xml").toString(),
                System.getProperty("user.home") + "/.m2",
                jvmTemp.toString(),
                workRoot.toString(),
                "/etc/passwd",
                "/etc/hostname",
                "/root",
                "/home",
                "/var",
                "/usr/share",
                "/usr/local",
                "/dev/shm",
                "/sys/class");
        StringBuilder code = new StringBuilder("import os\nfor p in [");
        for (String s : secrets) {
            code.append("'").append(s).append("', ");
        }
        code.append("]:\n    print(('visible ' if os.path.lexists(p) else 'absent ') + p)\n");
        code.append("print('stdlib', os.path.exists(os.__file__))\n");
        code.append("print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n");
        code.append("print('tmp', os.listdir('/tmp'))\n");
        SandboxResult r;
        try {
            r = sandbox.run(code.toString());
        } finally {
            Files.delete(jvmTemp);
        }
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("tmp []");
        for (String s : secrets) {
            assertThat(r.stdout()).contains("absent " + s + "\n");
        }
        // Its own /proc shows its pid namespace only: the interpreter, as pid 1.
        assertThat(r.stdout()).contains("stdlib True").contains("pids [1]");
    }

    @Test
    void aThreadBombIsCappedAndFails() {
        Verdict v = failedWith(String.join(
                "\n",
                "import threading, time",
                "threads = []",
                "while True:",
                "    t = threading.Thread(target=time.sleep, args=(300,), daemon=True)",
                "    t.start()",
                "    threads.append(t)"));
        assertThat(v.reason()).containsAnyOf("can't start new thread", "timeout", "memory limit");
    }

    @Test
    void hugeOrCountlessFilesInTheWorkDirectoryFail() {
        Verdict huge = failedWith(String.join(
                "\n",
                "with open('big', 'wb') as fh:",
                "    for i in range(1024):",
                "        fh.write(b'x' * (1 << 20))",
                "def f():",
                "    return 1"));
        assertThat(huge.reason()).containsAnyOf("SIGXFSZ", "File too large", "No space left");
        Verdict many = failedWith(String.join(
                "\n", "for i in range(200000):", "    open('f%d' % i, 'w').close()", "def f():", "    return 1"));
        assertThat(many.reason()).containsAnyOf("No space left", "Too many open files", "timeout", "OSError");
    }

    @Test
    void devShmCannotBeFilled() {
        Verdict v = failedWith(String.join(
                "\n",
                "with open('/dev/shm/revise-fill', 'wb') as fh:",
                "    fh.write(b'x' * (8 << 20))",
                "def f():",
                "    return 1"));
        assertThat(v.reason()).containsAnyOf("FileNotFoundError", "Read-only file system", "PermissionError");
        assertThat(Path.of("/dev/shm/revise-fill")).doesNotExist();
    }

    @Test
    void symlinksToHostFilesAreNeitherFollowedNorChangedByTheCleanUp() throws IOException {
        Path victim = Files.createTempDirectory("revise-victim-");
        try {
            Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path secret = Files.writeString(victim.resolve("solution.py"), "def f():\n    return 1\n");
            failedWith(String.join(
                    "\n",
                    "import os",
                    "os.symlink('" + victim + "', 'dir-link')",
                    "os.symlink('" + secret + "', 'file-link')",
                    "os.makedirs('sub', exist_ok=True)",
                    "os.symlink('" + victim + "', 'sub/dir-link')",
                    "exec(open('file-link').read())"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)))
                    .isEqualTo("rwxr-xr-x");
            assertThat(secret).hasContent("def f():\n    return 1\n");
        } finally {
            Files.deleteIfExists(victim.resolve("solution.py"));
            Files.deleteIfExists(victim);
        }
    }

    @Test
    void aChildThatIgnoresSigtermAndSleepsDiesAtTheTimeout() {
        long start = System.nanoTime();
        Verdict v = failedWith(String.join(
                "\n",
                "import os, signal, time",
                "if os.fork() == 0:",
                "    signal.signal(signal.SIGTERM, signal.SIG_IGN)",
                "    os.setsid()",
                "    time.sleep(300)",
                "signal.signal(signal.SIGTERM, signal.SIG_IGN)",
                "time.sleep(300)"));
        assertThat(v.reason()).startsWith("timeout");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(TIMEOUT.toMillis() + MARGIN_MILLIS);
    }

    @Test
    void raisingItsOwnLimitsIsRefused() {
        assumeTrue(sandbox.protections().rlimits(), "needs prlimit");
        Verdict v = failedWith(String.join(
                "\n",
                "import resource",
                "for r in (resource.RLIMIT_AS, resource.RLIMIT_NPROC, resource.RLIMIT_FSIZE, resource.RLIMIT_CPU):",
                "    try:",
                "        resource.setrlimit(r, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))",
                "    except (ValueError, OSError):",
                "        pass",
                "soft, hard = resource.getrlimit(resource.RLIMIT_AS)",
                "resource.setrlimit(resource.RLIMIT_AS, (hard, hard))",
                "blob = bytearray(1 << 31)",
                "def f():",
                "    return 1"));
        assertThat(v.reason()).startsWith("memory limit");
    }

    @Test
    void aCrashLeavesNoCoreDump() {
        Verdict v = failedWith(String.join(
                "\n",
                "import os, resource",
                "try:",
                "    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))",
                "except (ValueError, OSError):",
                "    pass",
                "os.abort()"));
        assertThat(v.reason()).contains("SIGABRT");
        // The clean-up check after each test finds any core file the crash wrote.
    }
}
