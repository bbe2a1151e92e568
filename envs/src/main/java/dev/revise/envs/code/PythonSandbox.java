package dev.revise.envs.code;

import dev.revise.envs.code.SandboxLauncher.Tools;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
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
    private static final String DROP_USER = SandboxLauncher.DROP_USER;
    /**
     * Also checks that the interpreter can see itself: a python it cannot stat (pyenv's, under
     * /root, run as nobody) starts, but falls back to whatever stdlib it finds elsewhere.
     */
    private static final String PROBE = "import os, sys, json, math, re, hashlib, collections, itertools\n"
            + "assert os.access(sys.executable, os.X_OK), 'cannot access ' + sys.executable\n"
            + "print('ok')\n";

    private static final List<String> AUTO_PYTHONS = List.of("python3", "/usr/bin/python3", "/usr/local/bin/python3");
    private static final String SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final SandboxConfig config;
    private final Protections protections;
    private final Tools tools;
    private final SandboxLauncher launcher;
    private final ExecutorService readers;
    private final Semaphore slots;
    private volatile boolean closed;

    public PythonSandbox(SandboxConfig config) {
        this.config = config;
        this.readers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "python-sandbox-output");
            t.setDaemon(true);
            return t;
        });
        this.slots = new Semaphore(config.maxConcurrent(), true);
        this.launcher = new SandboxLauncher(config, readers);
        try {
            this.tools = detect();
        } catch (RuntimeException e) {
            readers.shutdownNow();
            throw e;
        }
        this.protections = new Protections(
                tools.python(),
                tools.setsid() != null,
                tools.fullNamespaces(),
                tools.prlimit() != null,
                tools.unshare() != null,
                tools.fullNamespaces(),
                tools.mountView(),
                tools.drop(),
                tools.setpriv() != null,
                tools.root());
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

    /**
     * Runs one program as {@code main.py} and returns what it did; blocks while {@code
     * maxConcurrent} runs are active. For scoring, {@link CodeVerifier} uses {@link #runTests}.
     */
    public SandboxResult run(String program) {
        return execute(program, null);
    }

    /**
     * Runs {@code program} as {@code main.py} in a child of the trusted {@code harness.py}, which
     * reads the tests {@code spec} (JSON, with the run's nonce) from its stdin and prints the
     * verdict as the last line of stdout.
     */
    SandboxResult runTests(String program, String spec) {
        return execute(program, spec);
    }

    private SandboxResult execute(String program, String spec) {
        if (closed) {
            throw new IllegalStateException("python sandbox is closed");
        }
        slots.acquireUninterruptibly();
        try {
            return launcher.execute(program, spec, tools, config.timeout().toMillis());
        } finally {
            slots.release();
        }
    }

    @Override
    public void close() {
        closed = true;
        readers.shutdown();
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
        Tools base = new Tools(
                null,
                which("setsid"),
                null,
                false,
                false,
                null,
                which("sh"),
                prlimit,
                null,
                false,
                root ? dropIds() : null,
                which("kill"),
                root);
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
        if (chosen.setpriv() == null && setpriv != null) {
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
            Tools withPython = t.withPython(python, null);
            String failure = probe(withPython);
            if (failure == null) {
                return withPython;
            }
            if (t.prlimit() != null && probe(withPython.withoutRlimits()) == null) {
                LOG.warn("python sandbox: prlimit fails here ({}); running without rlimits", failure);
                return withPython.withoutRlimits();
            }
            tried.add(python + (t.drop() ? " as " + DROP_USER : "") + ": " + failure);
        }
        return null;
    }

    /**
     * The strongest namespace setup that runs python here: the minimal mount view, else the
     * read-only remount, else the network namespace only.
     */
    private Tools withNamespaces(Tools t, String unshare) {
        if (unshare == null) {
            return t;
        }
        if (t.sh() != null && which("chroot") != null) {
            Tools view = inMountView(t).withUnshare(unshare, true, true);
            String failure = probe(view);
            if (failure == null) {
                return view;
            }
            LOG.warn(
                    "python sandbox: the minimal mount view does not work here ({}); the host's files stay"
                            + " readable (read-only)",
                    failure);
        }
        if (t.sh() != null && probe(t.withUnshare(unshare, true, false)) == null) {
            return t.withUnshare(unshare, true, false);
        }
        String failure = probe(t.withUnshare(unshare, false, false));
        if (failure == null) {
            return t.withUnshare(unshare, false, false);
        }
        LOG.warn("python sandbox: unshare does not work here ({}); runs keep the host network", failure);
        return t;
    }

    /**
     * The interpreter by its real path (a venv's or a shim's link does not exist in the view),
     * with its installation prefix to bind when it is not under the /usr directories every view
     * has.
     */
    private static Tools inMountView(Tools t) {
        try {
            Path real = Path.of(t.python()).toRealPath();
            Path prefix = real.getParent().getParent();
            boolean inUsr = prefix.equals(Path.of("/usr"))
                    || List.of("bin", "sbin", "lib", "lib64", "libexec").stream()
                            .anyMatch(d -> prefix.startsWith(Path.of("/usr", d)));
            return t.withPython(real.toString(), inUsr ? null : prefix.toString());
        } catch (IOException | NullPointerException e) {
            return t;
        }
    }

    /** nobody's numeric uid and gid, or null if it has none here. */
    private static String dropIds() {
        List<String> uid = SandboxLauncher.runQuietly(List.of("id", "-u", DROP_USER), 5000);
        List<String> gid = SandboxLauncher.runQuietly(List.of("id", "-g", DROP_USER), 5000);
        if (uid.size() == 1
                && gid.size() == 1
                && uid.get(0).matches("\\d+")
                && gid.get(0).matches("\\d+")) {
            return uid.get(0) + ":" + gid.get(0);
        }
        return null;
    }

    /** Null if a probe program runs to completion through the given tools, else why not. */
    private String probe(Tools t) {
        try {
            SandboxResult r = launcher.execute(PROBE, null, t, 15_000);
            if (r.exitCode() == 0 && r.stdout().strip().equals("ok")) {
                return null;
            }
            String err = r.stderr().strip();
            return "exit " + r.exitCode() + (r.timedOut() ? " (timed out)" : "") + ": "
                    + (err.length() > 300 ? err.substring(err.length() - 300) : err);
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    private static Optional<String> resolvePython(String python) {
        // Asked with the inherited environment, since launchers (pyenv shims) need it; runs then
        // use the real interpreter with an empty environment.
        List<String> out = SandboxLauncher.runQuietly(
                List.of(python, "-c", "import sys; print(sys.version_info[0]); print(sys.executable)"), 15_000);
        if (out.size() >= 2 && out.get(0).equals("3") && !out.get(1).isBlank()) {
            return Optional.of(out.get(1));
        }
        return Optional.empty();
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
