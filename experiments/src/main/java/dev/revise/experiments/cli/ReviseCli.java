package dev.revise.experiments.cli;

import dev.revise.policies.checkpoint.CheckpointException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code revise} command line (docs/architecture.md section 6). Commands that print JSON keep stdout
 * to JSON; logs go to stderr. Exit status 0 on success, 2 on bad input with a message naming the
 * file, key or value, 1 on an internal error, 143 / 130 when {@code train} or {@code sweep} stopped on
 * SIGTERM / SIGINT after checkpointing.
 */
@Command(
        name = "revise",
        mixinStandardHelpOptions = true,
        scope = CommandLine.ScopeType.INHERIT, // --help and --version on every command too
        versionProvider = ReviseCli.Version.class,
        description = "Train language models to correct their own answers with reinforcement learning.",
        subcommands = {
            QuickstartCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            SweepCommand.class,
            CompareCommand.class,
            ReportCommand.class,
            InitCommand.class,
            LogprobsCommand.class,
            ExportCommand.class,
            TokenizeCommand.class,
            GenerateCommand.class,
            BenchCommand.class,
            GradeCommand.class,
            CommandLine.HelpCommand.class
        })
public final class ReviseCli implements Runnable {
    /** Exit status for bad input (a file, key or value the user gave). */
    public static final int BAD_INPUT = 2;

    @Spec
    CommandSpec spec;

    /** This JVM's command-line arguments (what a cluster driver runs again with the cluster's Ray). */
    private static volatile List<String> arguments = List.of();

    /** Whether this JVM runs the command line as its program (not a test calling {@code execute}). */
    private static volatile boolean standalone;

    public static void main(String[] args) {
        arguments = List.of(args);
        standalone = true;
        dev.revise.experiments.ray.ClusterDriver.followParent();
        System.exit(commandLine().execute(args));
    }

    /**
     * From a command that trains: SIGTERM / SIGINT checkpoint and stop it (exit 143 / 130) rather
     * than end the JVM. Only in a JVM that runs revise as its program: a test JVM keeps its own.
     */
    static void stopOnSignals() {
        if (standalone) {
            dev.revise.experiments.preemption.Preemption.installSignalHandlers();
        }
    }

    public static List<String> arguments() {
        return arguments;
    }

    /** A configured command line; tests set its out/err writers and call {@code execute}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ReviseCli());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            String name = commandLine.getCommandName();
            if (ex instanceof dev.revise.experiments.preemption.Preempted p) {
                err.println("revise " + name + ": " + ex.getMessage());
                err.flush();
                return p.exitStatus(); // 143 / 130, as a process the signal had ended
            }
            if (ex instanceof IllegalArgumentException
                    || ex instanceof CheckpointException
                    || ex instanceof UncheckedIOException
                    || ex instanceof IOException
                    || ex instanceof IllegalStateException) {
                err.println("revise " + name + ": " + ex.getMessage());
                err.flush();
                return BAD_INPUT;
            }
            err.println("revise " + name + ": internal error: " + ex);
            ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = ReviseCli.class.getPackage().getImplementationVersion();
            return new String[] {"revise " + (v == null ? "development build" : v)};
        }
    }
}
