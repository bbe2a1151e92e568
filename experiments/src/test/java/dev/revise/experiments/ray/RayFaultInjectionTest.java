package dev.revise.experiments.ray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import dev.revise.policies.LlamaPolicy;
import dev.revise.rl.rollout.Rollout;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ray LOCAL mode cannot kill actors, so faults come from the spec's deterministic knob
 * ({@link RolloutSpec.FaultInjection}): the failing actor is replaced, gets the learner's weights,
 * and its unit is resubmitted; past maxRetries the collection fails naming the actor and cause.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RayFaultInjectionTest {
    static RayRuntime ray;
    static RolloutFixture f;
    static NDManager root;
    static LlamaPolicy policy;
    static List<Rollout> faultFree;

    @BeforeAll
    static void start() throws Exception {
        f = new RolloutFixture();
        ray = RayRuntime.start(RayOptions.local(Files.createTempDirectory("revise-ray-faults")));
        root = NDManager.newBaseManager();
        policy = f.policy(root);
        try (RayRolloutSource source = new RayRolloutSource(f.spec, policy, 2, 2, 0)) {
            faultFree = source.collect(f.request);
        }
    }

    @AfterAll
    static void stop() {
        if (policy != null) {
            policy.close();
            root.close();
        }
        if (ray != null) {
            ray.close();
        }
    }

    @Test
    void aFailingActorIsReplacedAndTheRolloutsEqualTheFaultFreeRun() {
        // actor 0's original and first replacement both fail their first call (unit 0)
        RolloutSpec flaky = f.spec.withFaults(new RolloutSpec.FaultInjection(0, 2, 1));
        try (RayRolloutSource source = new RayRolloutSource(flaky, policy, 2, 2, 2)) {
            RolloutFixture.assertSameRollouts(faultFree, source.collect(f.request));
        }
    }

    @Test
    void aFaultOnALaterCallIsRecoveredToo() {
        // actor 0's second call is unit 2, the last one
        RolloutSpec flaky = f.spec.withFaults(new RolloutSpec.FaultInjection(0, 1, 2));
        try (RayRolloutSource source = new RayRolloutSource(flaky, policy, 2, 2, 1)) {
            RolloutFixture.assertSameRollouts(faultFree, source.collect(f.request));
        }
    }

    @Test
    void givesUpAfterMaxRetriesNamingTheActorAndCause() {
        RolloutSpec broken = f.spec.withFaults(new RolloutSpec.FaultInjection(1, 3, 1));
        try (RayRolloutSource source = new RayRolloutSource(broken, policy, 2, 2, 2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> source.collect(f.request));
            assertThat(e.getMessage())
                    .contains("rollout actor 1 failed on unit 1")
                    .contains("after 3 attempts")
                    .contains("injected fault (RolloutSpec.faults): actor 1 incarnation 2 call 1");
        }
    }

    @Test
    void anActorThatCannotBeBuiltIsReportedByIndex() {
        RolloutSpec bad = new RolloutSpec(
                f.spec.model(),
                f.spec.tokenizerJson(),
                f.spec.chatFormat(),
                f.spec.environment(),
                "no-such-verifier",
                f.spec.rewards(),
                f.spec.maxBatch());
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> new RayRolloutSource(bad, policy, 2, 2, 0));
        // in LOCAL mode a throwing actor constructor would System.exit the JVM: this test running at all checks
        // that RolloutActor keeps the error instead
        assertThat(e.getMessage())
                .startsWith(
                        "rollout actor 0 could not be created; cause: java.lang.IllegalArgumentException:"
                                + " task.verifier: expected synthetic, start_search, gsm8k, math or code, got 'no-such-verifier'");
    }

    @Test
    void faultInjectionIsOffByDefaultAndSurvivesJson() throws Exception {
        assertThat(f.spec.faults()).isNull();
        RolloutSpec flaky = f.spec.withFaults(new RolloutSpec.FaultInjection(1, 2, 3));
        RolloutSpec back = RolloutActor.JSON.readValue(RolloutActor.JSON.writeValueAsString(flaky), RolloutSpec.class);
        assertThat(back.faults()).isEqualTo(flaky.faults());
        assertThat(back.device()).isEqualTo(flaky.device());
        assertThrows(IllegalArgumentException.class, () -> new RolloutSpec.FaultInjection(0, 1, 0));
    }
}
