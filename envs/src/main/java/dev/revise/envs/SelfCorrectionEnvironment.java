package dev.revise.envs;

import dev.revise.rl.Completion;
import dev.revise.rl.Environment;
import dev.revise.rl.Episode;
import dev.revise.rl.Feedback;
import dev.revise.rl.Message;
import dev.revise.rl.Task;
import dev.revise.rl.Trajectory;
import dev.revise.rl.Turn;
import dev.revise.rl.Verdict;
import dev.revise.rl.Verifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The multi-turn self-correction MDP: the policy attempts a task, the environment verifies the
 * attempt, says something (an instruction, an oracle's "incorrect", a hint) and the policy tries
 * again, for up to K turns. State = the first prompt + the kept attempts and feedback; action = an
 * attempt; every attempt's {@link Verdict} is recorded on its {@link Turn}, so rewards are pure
 * functions of the trajectory and the same rollouts can be re-scored.
 *
 * <p>Stateless and thread-safe: all state lives in the episodes it starts.
 */
public final class SelfCorrectionEnvironment implements Environment {
    private final EnvironmentConfig config;
    private final Verifier verifier;

    public SelfCorrectionEnvironment(EnvironmentConfig config, Verifier verifier) {
        this.config = config;
        this.verifier = verifier;
    }

    public EnvironmentConfig config() {
        return config;
    }

    public Verifier verifier() {
        return verifier;
    }

    @Override
    public Episode start(Task task, long seed) {
        return new SelfCorrectionEpisode(task, seed);
    }

    @Override
    public int maxCharsPerTurn() {
        return config.maxCharsPerTurn();
    }

    private final class SelfCorrectionEpisode implements Episode {
        private final Task task;
        private final long seed;
        private final Message firstPrompt;
        private final List<Turn> turns = new ArrayList<>();
        private boolean done;

        SelfCorrectionEpisode(Task task, long seed) {
            this.task = task;
            this.seed = seed;
            this.firstPrompt = Message.user(config.promptTemplate().replace("{prompt}", task.prompt()));
        }

        @Override
        public Task task() {
            return task;
        }

        @Override
        public List<Message> conversation() {
            List<Message> messages = new ArrayList<>();
            messages.add(firstPrompt);
            int from = config.window() == 0 ? 0 : Math.max(0, turns.size() - config.window());
            for (Turn t : turns.subList(from, turns.size())) {
                messages.add(Message.assistant(t.completion().text()));
                messages.add(Message.user(t.feedback().message()));
            }
            return messages;
        }

        @Override
        public Feedback respond(Completion completion) {
            if (done) {
                throw new IllegalStateException("episode of task '" + task.id() + "' is already done");
            }
            List<Message> prompt = conversation();
            String text = completion.text();
            if (config.maxCharsPerTurn() > 0 && text.length() > config.maxCharsPerTurn()) {
                text = text.substring(0, config.maxCharsPerTurn());
            }
            Verdict verdict = verifier.verify(task, text);
            boolean last = turns.size() + 1 >= config.turns();
            boolean stop = last || (verdict.correct() && config.feedback().stopsWhenCorrect());
            Feedback feedback = stop ? Feedback.end() : Feedback.retry(message(verdict));
            turns.add(new Turn(turns.size(), prompt, completion, verdict, feedback));
            done = stop;
            return feedback;
        }

        private String message(Verdict verdict) {
            return switch (config.feedback()) {
                case INTRINSIC -> config.instruction();
                case ORACLE, ORACLE_ALWAYS_RETRY -> config.retryMessage();
                case HINT ->
                    verdict.correct()
                            ? config.instruction()
                            : config.hintTemplate().replace("{reason}", verdict.reason());
            };
        }

        @Override
        public boolean isDone() {
            return done;
        }

        @Override
        public List<Turn> turns() {
            return Collections.unmodifiableList(turns);
        }

        @Override
        public Trajectory trajectory(String groupId, long policyVersion) {
            if (!done) {
                throw new IllegalStateException("episode of task '" + task.id() + "' is not done: " + turns.size()
                        + " of " + config.turns() + " turns");
            }
            return new Trajectory(task.id(), groupId, turns, policyVersion, seed);
        }
    }
}
