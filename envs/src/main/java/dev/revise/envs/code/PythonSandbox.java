package dev.revise.envs.code;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs untrusted Python programs in a separate {@code python3 -I -B} process, each in a fresh
 * temporary directory, with an empty environment, no stdin, capped output and a wall-clock timeout
 * after which the whole process tree is killed. On Linux with util-linux it adds, where they work
 * (probed at construction, see {@link #protections()}): a new session, pid, network and mount
 * namespace (everything but the work directory read-only), rlimits, and as root a drop to {@code
 * nobody} with no new privileges. Thread-safe; {@link #close()} releases the reader threads.
 */
public final class PythonSandbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PythonSandbox.class);
    private static final String DROP_USER = "nobody";
    private static final String DROP_GROUP = "nogroup";
    /**
     * Also checks that the interpreter can see itself: a python it cannot stat (pyenv's, under
     * /root, run as nobody) starts, but falls back to whatever stdlib it finds elsewhere.
     */
    private static final String PROBE = "import os, sys, json, math, re, hashlib, collections, itertools\n"
            + "assert os.access(sys.executable, os.X_OK), 'cannot access ' + sys.executable\n"
            + "print('ok')\n";

    private static final List<String> AUTO_PYTHONS = List.of("python3", "/usr/bin/python3", "/usr/local/bin/python3");
    private static final String PATH = "/usr/local/bin:/usr/bin:/bin";
    private static final String SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /**
     * Runs as root inside the new mount namespace: keeps the work directory writable through its
     * own bind mount, makes every other mount read-only there (the host is unaffected: unshare
     * makes propagation private), then enters the directory through the new mount.
     */
    private static final String MOUNT_SCRIPT = String.join(
            "\n",
            "set -e",
            "w=\"$1\"; shift",
            "mount --bind \"$w\" \"$w\"",
            "for p in $(cut -d' ' -f2 /proc/self/mounts); do",
            "  case \"$p\" in \"$w\"|/proc|/proc/*|/sys|/sys/*|/dev|/dev/pts) ;;",
            "  *) mount -o remount,bind,ro \"$p\" 2>/dev/null || { echo \"cannot make $p read-only\" >&2; exit 97; } ;;",
            "  esac",
            "done",
            "cd \"$w\"",
            "exec \"$@\"");

    private final SandboxConfig config;
    private final Protections protections;
    private final Tools tools;
    private final ExecutorService readers;
    private final Semaphore slots;
    private volatile boolean closed;

    private record Tools(
            String python,
            String setsid,
            String unshare,
            boolean fullNamespaces,
            String sh,
            String prlimit,
            String setpriv,
            boolean drop,
            String kill,
            boolean root) {
        Tools withPython(String p) {
            return new Tools(p, setsid, unshare, fullNamespaces, sh, prlimit, setpriv, drop, kill, root);
        }

        Tools with(String setprivPath, boolean dropToNobody) {
            return new Tools(
                    python, setsid, unshare, fullNamespaces, sh, prlimit, setprivPath, dropToNobody, kill, root);
        }

        Tools withoutRlimits() {
            return new Tools(python, setsid, unshare, fullNamespaces, sh, null, setpriv, drop, kill, root);
        }

        Tools withUnshare(String path, boolean full) {
            return new Tools(python, setsid, path, full, sh, prlimit, setpriv, drop, kill, root);
        }
    }

    public PythonSandbox(SandboxConfig config) {
        this.config = config;
        this.readers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "python-sandbox-output");
            t.setDaemon(true);
            return t;
        });
        this.slots = new Semaphore(config.maxConcurrent(), true);
        try {
            this.tools = detect();
        } catch (RuntimeException e) {
            readers.shutdownNow();
            throw e;
        }
        this.protections = new Protections(
                tools.python,
                tools.setsid != null,
                tools.fullNamespaces,
                tools.prlimit != null,
                tools.unshare != null,
                tools.fullNamespaces,
                tools.drop,
                tools.setpriv != null,
                tools.root);
        if (config.requireAllProtections() && !protections.all()) {
            readers.shutdownNow();
            throw new IllegalStateException("python sandbox: not every protection is available here: "
                    + String.join("; ", protections.lines()));
        }
        LOG.info(protections.summary());
    }

    public PythonSandbox() {
        this(SandboxConfig.defaults());
    }

    public Protections protections() {
        return protections;
    }

    public SandboxConfig config() {
        return config;
    }

    /** Runs one program as {@code main.py}; blocks while {@code maxConcurrent} runs are active. */
    public SandboxResult run(String program) {
        if (closed) {
            throw new IllegalStateException("python sandbox is closed");
        }
        slots.acquireUninterruptibly();
        try {
            return execute(program, tools, config.timeout().toMillis());
        } finally {
            slots.release();
        }
    }

    @Override
    public void close() {
        closed = true;
        readers.shutdown();
    }

    // ---------------------------------------------------------------- running

    private SandboxResult execute(String program, Tools t, long timeoutMillis) {
        Path dir;
        try {
            dir = Files.createTempDirectory(config.workRoot(), "revise-sandbox-");
        } catch (IOException e) {
            throw new UncheckedIOException("python sandbox: cannot create a work directory in " + config.workRoot(), e);
        }
        try {
            prepare(dir, program, t);
            return launch(dir, t, timeoutMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("python sandbox: " + e.getMessage(), e);
        } finally {
            deleteTree(dir);
        }
    }

    private void prepare(Path dir, String program, Tools t) throws IOException {
        Path main = dir.resolve("main.py");
        Files.writeString(main, program, StandardCharsets.UTF_8);
        if (t.drop) {
            // The candidate runs as nobody: it must own its directory to write there (0700 keeps
            // other users out) and be able to read main.py.
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(dir, users.lookupPrincipalByName(DROP_USER));
            Files.setPosixFilePermissions(main, PosixFilePermissions.fromString("rw-r--r--"));
        }
        setPermissions(dir, "rwx------");
    }

    private List<String> command(Path dir, Tools t) {
        List<String> cmd = new ArrayList<>();
        if (t.setsid != null) {
            cmd.add(t.setsid);
        }
        if (t.unshare != null) {
            cmd.add(t.unshare);
            if (!t.root) {
                cmd.add("--map-root-user");
            }
            cmd.add("--net");
            if (t.fullNamespaces) {
                cmd.addAll(List.of("--mount", "--pid", "--fork", "--kill-child", "--mount-proc"));
                cmd.addAll(List.of(t.sh, "-c", MOUNT_SCRIPT, "sh", dir.toString()));
            }
        }
        if (t.prlimit != null) {
            long cpu = config.timeout().toSeconds() + 1;
            cmd.addAll(List.of(
                    t.prlimit,
                    "--as=" + config.memoryBytes(),
                    "--nproc=" + config.maxProcesses(),
                    "--fsize=" + config.maxFileBytes(),
                    "--cpu=" + cpu,
                    "--nofile=" + config.maxOpenFiles(),
                    "--core=0"));
        }
        if (t.setpriv != null) {
            cmd.add(t.setpriv);
            if (t.drop) {
                cmd.addAll(List.of("--reuid=" + DROP_USER, "--regid=" + DROP_GROUP, "--clear-groups"));
            }
            cmd.addAll(List.of("--no-new-privs", "--bounding-set=-all", "--inh-caps=-all", "--"));
        }
        cmd.addAll(List.of(t.python, "-I", "-B", "main.py"));
        return cmd;
    }

    private SandboxResult launch(Path dir, Tools t, long timeoutMillis) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(dir, t)).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        long start = System.nanoTime();
        Process p = pb.start();
        CompletableFuture<Void> overLimit = new CompletableFuture<>();
        AtomicLong total = new AtomicLong();
        int half = config.keptOutputBytes() / 2;
        OutputCapture out = new OutputCapture(
                p.getInputStream(), half, total, config.maxOutputBytes(), () -> overLimit.complete(null));
        OutputCapture err = new OutputCapture(
                p.getErrorStream(), half, total, config.maxOutputBytes(), () -> overLimit.complete(null));
        Future<?> outDone = readers.submit(out);
        Future<?> errDone = readers.submit(err);
        boolean timedOut = false;
        try {
            CompletableFuture.anyOf(p.onExit(), overLimit).get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            timedOut = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        boolean limitHit = overLimit.isDone() && !timedOut;
        killTree(p, t);
        awaitQuietly(outDone);
        awaitQuietly(errDone);
        int exit = p.isAlive() ? -1 : p.exitValue();
        long wall = (System.nanoTime() - start) / 1_000_000;
        return new SandboxResult(
                exit, timedOut, limitHit, out.text(), err.text(), out.truncated() || err.truncated(), wall, dir);
    }

    /**
     * Kills the run's processes whether it finished or not, since a candidate can leave children
     * behind. With a pid namespace the kernel kills every member once its init dies; otherwise the
     * session's process group is killed, and descendants found by parent links (which misses
     * orphans, hence the group) as a last resort.
     */
    private static void killTree(Process p, Tools t) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        tree.forEach(ProcessHandle::destroyForcibly);
        // Through the handle: Process.destroyForcibly also closes the pipes, losing output the
        // readers have not drained yet (even when the process has already exited).
        p.toHandle().destroyForcibly();
        if (t.setsid != null && !t.fullNamespaces && t.kill != null) {
            runQuietly(List.of(t.kill, "-KILL", "--", "-" + p.pid()), 2000);
        }
        try {
            p.waitFor(5, TimeUnit.SECONDS);
            for (ProcessHandle h : tree) {
                h.onExit().get(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("python sandbox: a process of pid {} outlived SIGKILL for 2 s", p.pid());
        }
    }

    private static void awaitQuietly(Future<?> f) {
        try {
            f.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // A reader still blocked means a writer escaped the kill; its output is not needed.
            f.cancel(true);
        }
    }

    private static void setPermissions(Path p, String perms) throws IOException {
        if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        }
    }

    /** Deletes what the candidate left, including directories it made unreadable. */
    private static void deleteTree(Path dir) {
        try {
            if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                try (var walk = Files.walk(dir)) {
                    walk.filter(Files::isDirectory).forEach(d -> {
                        try {
                            setPermissions(d, "rwx------");
                        } catch (IOException e) {
                            // Deletion below reports what is left.
                        }
                    });
                }
            }
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("python sandbox: could not delete {}: {}", dir, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- detection

    private Tools detect() {
        boolean root = runningAsRoot();
        String setpriv = which("setpriv");
        String prlimit = which("prlimit");
        List<String> pythons = config.python() != null ? List.of(config.python()) : AUTO_PYTHONS;
        List<String> resolved = new ArrayList<>();
        List<String> tried = new ArrayList<>();
        for (String candidate : pythons) {
            resolvePython(candidate).ifPresentOrElse(resolved::add, () -> tried.add(candidate + ": not found"));
        }
        if (resolved.isEmpty()) {
            throw new IllegalStateException("python sandbox: no Python 3 interpreter found (tried "
                    + String.join(", ", pythons) + "); install python3 (e.g. apt-get install python3, "
                    + "brew install python) or set SandboxConfig.python");
        }
        Tools base =
                new Tools(null, which("setsid"), null, false, which("sh"), prlimit, null, false, which("kill"), root);
        Tools chosen = null;
        // As root a privilege drop is what keeps the candidate from owning the machine: prefer a
        // python that nobody can run (a pyenv python under /root cannot) over the PATH's first.
        if (root && setpriv != null) {
            chosen = firstWorking(resolved, base.with(setpriv, true), tried);
            if (chosen == null) {
                LOG.warn("python sandbox: no python runs as {} ({}); candidates will run as root", DROP_USER, tried);
            }
        }
        if (chosen == null) {
            chosen = firstWorking(resolved, base, tried);
        }
        if (chosen == null) {
            throw new IllegalStateException("python sandbox: no usable python: " + String.join("; ", tried));
        }
        chosen = withNamespaces(chosen, which("unshare"));
        if (chosen.setpriv == null && setpriv != null) {
            // Unprivileged, no_new_privs and dropping the bounding set work inside a user namespace.
            Tools nnp = chosen.with(setpriv, false);
            if (probe(nnp) == null) {
                chosen = nnp;
            }
        }
        return chosen;
    }

    /** The first python that runs through {@code t}, with rlimits if they work. */
    private Tools firstWorking(List<String> pythons, Tools t, List<String> tried) {
        for (String python : pythons) {
            Tools withPython = t.withPython(python);
            String failure = probe(withPython);
            if (failure == null) {
                return withPython;
            }
            if (t.prlimit != null && probe(withPython.withoutRlimits()) == null) {
                LOG.warn("python sandbox: prlimit fails here ({}); running without rlimits", failure);
                return withPython.withoutRlimits();
            }
            tried.add(python + (t.drop ? " as " + DROP_USER : "") + ": " + failure);
        }
        return null;
    }

    private Tools withNamespaces(Tools t, String unshare) {
        if (unshare == null) {
            return t;
        }
        if (t.sh != null && probe(t.withUnshare(unshare, true)) == null) {
            return t.withUnshare(unshare, true);
        }
        String failure = probe(t.withUnshare(unshare, false));
        if (failure == null) {
            return t.withUnshare(unshare, false);
        }
        LOG.warn("python sandbox: unshare does not work here ({}); runs keep the host network", failure);
        return t;
    }

    /** Null if a probe program runs to completion through the given tools, else why not. */
    private String probe(Tools t) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory(config.workRoot(), "revise-sandbox-probe-");
            prepare(dir, PROBE, t);
            SandboxResult r = launch(dir, t, 15_000);
            if (r.exitCode() == 0 && r.stdout().strip().equals("ok")) {
                return null;
            }
            String err = r.stderr().strip();
            return "exit " + r.exitCode() + (r.timedOut() ? " (timed out)" : "") + ": "
                    + (err.length() > 300 ? err.substring(err.length() - 300) : err);
        } catch (IOException | RuntimeException e) {
            return e.toString();
        } finally {
            if (dir != null) {
                deleteTree(dir);
            }
        }
    }

    private static Optional<String> resolvePython(String python) {
        // Asked with the inherited environment, since launchers (pyenv shims) need it; runs then
        // use the real interpreter with an empty environment.
        List<String> out = runQuietly(
                List.of(python, "-c", "import sys; print(sys.version_info[0]); print(sys.executable)"), 15_000);
        if (out.size() >= 2 && out.get(0).equals("3") && !out.get(1).isBlank()) {
            return Optional.of(out.get(1));
        }
        return Optional.empty();
    }

    /** The command's stdout lines if it exited 0 within the time, else an empty list. */
    private static List<String> runQuietly(List<String> cmd, long timeoutMillis) {
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            CompletableFuture<byte[]> bytes = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return List.of();
            }
            String text = new String(bytes.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            return p.exitValue() == 0 ? text.lines().toList() : List.of();
        } catch (IOException | java.util.concurrent.ExecutionException | TimeoutException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    private static String which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + SYSTEM_PATH;
        for (String d : path.split(File.pathSeparator)) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    private boolean runningAsRoot() {
        try {
            Path f = Files.createTempFile(config.workRoot(), "revise-uid-", ".tmp");
            try {
                return Integer.valueOf(0).equals(Files.getAttribute(f, "unix:uid"));
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false; // not a Unix file system: no uid to drop
        }
    }
}
