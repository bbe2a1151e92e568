package dev.revise.experiments.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The module graph of docs/architecture.md section 1, checked on the compiled classes' imports. */
class ModuleRulesTest {
    static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.revise");
    }

    @Test
    void envsAndRewardsArePureJava() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.revise.envs..", "dev.revise.rewards..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("ai.djl..", "io.ray..")
                .allowEmptyShould(true)
                .check(classes);
    }

    @Test
    void siblingsNeverImportEachOther() {
        noClasses()
                .that()
                .resideInAPackage("dev.revise.envs..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.revise.rewards..", "dev.revise.policies..", "dev.revise.experiments..")
                .allowEmptyShould(true)
                .check(classes);
        noClasses()
                .that()
                .resideInAPackage("dev.revise.rewards..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.revise.envs..", "dev.revise.policies..", "dev.revise.experiments..")
                .allowEmptyShould(true)
                .check(classes);
        noClasses()
                .that()
                .resideInAPackage("dev.revise.policies..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("dev.revise.envs..", "dev.revise.rewards..", "dev.revise.experiments..")
                .check(classes);
    }

    @Test
    void rlImportsOnlyTheDjlApi() {
        noClasses()
                .that()
                .resideInAPackage("dev.revise.rl..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "ai.djl.pytorch..",
                        "ai.djl.huggingface..",
                        "io.ray..",
                        "dev.revise.envs..",
                        "dev.revise.rewards..",
                        "dev.revise.policies..",
                        "dev.revise.experiments..")
                .check(classes);
    }

    @Test
    void onlyExperimentsImportsRay() {
        noClasses()
                .that()
                .resideOutsideOfPackage("dev.revise.experiments..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.ray..")
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.revise.(**)").should().beFreeOfCycles().check(classes);
    }
}
