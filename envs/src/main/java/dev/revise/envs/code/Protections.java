package dev.revise.envs.code;

import java.util.ArrayList;
import java.util.List;

/**
 * Which protections a {@link PythonSandbox} found working at construction (each was probed by
 * running python through it, not inferred from the presence of a tool).
 *
 * @param python the interpreter's resolved path
 * @param processGroup runs are session leaders ({@code setsid}) and their group is killed
 * @param pidNamespace runs get their own pid namespace: when its first process dies the kernel
 *     kills every process in it, including ones that left the process group
 * @param rlimits {@code prlimit} sets address space, processes, file size, CPU time, open files
 * @param noNetwork runs get a new network namespace with only a loopback device that is down
 * @param readOnlyFilesystem a mount namespace where every mount but the work directory is
 *     read-only (so /tmp, /dev/shm, /var/tmp cannot be written)
 * @param minimalMountView the run sees only Python's installation (/usr's bin, sbin, lib* and
 *     libexec, or the interpreter's own prefix), four device files, its own /proc and a
 *     size-limited tmpfs work dir: the host's data, home directories, /tmp and the JVM's files do
 *     not exist for it (see envs/CODE-SANDBOX.md for what stays visible without it)
 * @param privilegeDrop the candidate runs as {@code nobody:nogroup} without supplementary
 *     groups (only when the JVM runs as root)
 * @param noNewPrivileges {@code no_new_privs} and an empty capability bounding set: setuid
 *     binaries and file capabilities grant nothing
 * @param runningAsRoot whether the JVM runs as root (a privilege drop is then essential)
 */
public record Protections(
        String python,
        boolean processGroup,
        boolean pidNamespace,
        boolean rlimits,
        boolean noNetwork,
        boolean readOnlyFilesystem,
        boolean minimalMountView,
        boolean privilegeDrop,
        boolean noNewPrivileges,
        boolean runningAsRoot) {

    /** Whether everything this platform could offer is active. */
    public boolean all() {
        return processGroup
                && pidNamespace
                && rlimits
                && noNetwork
                && readOnlyFilesystem
                && minimalMountView
                && noNewPrivileges
                && (privilegeDrop || !runningAsRoot);
    }

    /** One line per protection, "on"/"OFF", for logs and the README. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("wall-clock timeout + process tree kill: on (always)");
        out.add("own session/process group (setsid): " + onOff(processGroup));
        out.add("own pid namespace (whole tree dies with it): " + onOff(pidNamespace));
        out.add("resource limits (prlimit: memory, processes, file size, CPU, open files): " + onOff(rlimits));
        out.add("no network (new network namespace): " + onOff(noNetwork));
        out.add("read-only filesystem outside the work dir (mount namespace): " + onOff(readOnlyFilesystem));
        out.add("minimal mount view (only Python's installation, a tmpfs work dir, own /proc): "
                + onOff(minimalMountView));
        out.add("privilege drop to nobody: "
                + (runningAsRoot ? onOff(privilegeDrop) : "not needed (not running as root)"));
        out.add("no_new_privs + empty capability bounding set: " + onOff(noNewPrivileges));
        out.add("python -I -B, empty environment, fresh temp dir, output capped: on (always)");
        return out;
    }

    public String summary() {
        return "python sandbox (" + python + "): " + String.join("; ", lines());
    }

    private static String onOff(boolean b) {
        return b ? "on" : "OFF";
    }
}
