package io.overseer.cli.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Untimed rounds of a scenario's own workload, repeated until this JVM's JIT compilers spent
 * under {@link #SETTLED_SHARE} of the last round's wall time compiling. Each {@code overseer
 * bench} is a fresh JVM: its C2 compiler kept compiling and deoptimising the worker path 30-50 s
 * into a run (LogCompilation) and took a fifth of this 2-core machine inside timed windows
 * (perf); a worker or producer process that runs for hours pays that once, and the peers measure
 * in a process warmed by their earlier phases.
 */
final class JitWarmUp {
  /** Compilation time per wall time of a round under which the JIT counts as settled. */
  static final double SETTLED_SHARE = 0.10;

  /**
   * One untimed round; {@code number} counts from 1. What it measures goes to {@code discarded},
   * which is not reported; its errors still count.
   */
  interface Round {
    void run(int number, BenchReport discarded) throws Exception;
  }

  private JitWarmUp() {}

  /**
   * Runs rounds until the JIT settles, at most {@code maxRounds}, and no new round once {@code
   * maxSeconds} of warm-up have passed (a JVM that cannot time its compilers runs one round).
   * Adds to {@code report} the rounds' errors and notes and a note, prefixed by {@code what}
   * when not empty, of how many rounds of {@code unit} ran; returns how many.
   */
  static int run(BenchReport report, String what, String unit, int maxRounds, long maxSeconds,
      Round round) throws Exception {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    boolean measurable = jit != null && jit.isCompilationTimeMonitoringSupported();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
    String prefix = what.isEmpty() ? "warm-up: " : what + " warm-up: ";
    for (int r = 1; ; r++) {
      long wallStart = System.nanoTime();
      long compileStart = measurable ? jit.getTotalCompilationTime() : 0;
      BenchReport discarded = new BenchReport(report.scenario, report.target);
      round.run(r, discarded);
      report.errors += discarded.errors;
      discarded.notes.forEach(n -> report.notes.add(prefix + n));
      long now = System.nanoTime();
      double wallMillis = Math.max(1, (now - wallStart) / 1e6);
      double share = measurable ? (jit.getTotalCompilationTime() - compileStart) / wallMillis : 0;
      boolean settled = !measurable || share < SETTLED_SHARE;
      if (settled || r >= maxRounds || now - deadline >= 0) {
        report.notes.add(String.format(Locale.ROOT,
            "%s%d round(s) of %s; the JIT compiled for %.0f%% of the last one%s", prefix, r, unit,
            share * 100, settled ? "" : " (not settled: the measured part includes it)"));
        return r;
      }
    }
  }
}
