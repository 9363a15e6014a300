package io.overseer.cli.bench;

import io.overseer.cli.Table;
import io.overseer.cli.bench.Samples.Percentiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One scenario's result: its phases (each a measured stretch with a job count, a duration and a
 * latency distribution), the headline phase whose figures are the top-level {@code
 * jobs_per_second} and {@code latency_ms}, the server's figures and notes. Printed as a table or
 * as one JSON document.
 */
final class BenchReport {
  final String scenario;
  final String target;
  final Map<String, Object> settings = new LinkedHashMap<>();
  final List<Phase> phases = new ArrayList<>();
  final List<String> notes = new ArrayList<>();
  /** What the latency figures measure, e.g. "one CreateJob call". */
  String latencyOf;
  Phase headline;
  Map<String, Object> server;
  long errors;

  BenchReport(String scenario, String target) {
    this.scenario = scenario;
    this.target = target;
  }

  /** A measured stretch. */
  static final class Phase {
    final String name;
    long jobs;
    Long calls;
    double seconds;
    /** False where a rate means nothing (latency at a fixed rate, watch). */
    boolean throughput = true;
    Percentiles latency = Percentiles.EMPTY;
    final Map<String, Object> extra = new LinkedHashMap<>();
    Map<String, Object> server;

    Phase(String name) {
      this.name = name;
    }

    Double jobsPerSecond() {
      return throughput && seconds > 0 ? jobs / seconds : null;
    }
  }

  Phase phase(String name) {
    Phase phase = new Phase(name);
    phases.add(phase);
    return phase;
  }

  /** The JSON document: top-level {@code jobs_per_second} (where it applies), {@code latency_ms}. */
  Map<String, Object> toJson() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("scenario", scenario);
    out.put("target", target);
    Phase head = headline != null ? headline : phases.isEmpty() ? null : phases.get(0);
    if (head != null) {
      out.put("headline", head.name);
      Double rate = head.jobsPerSecond();
      if (rate != null) {
        out.put("jobs_per_second", rate);
      }
      out.put("latency_ms", latency(head.latency));
    }
    out.put("latency_of", latencyOf);
    out.put("errors", errors);
    out.put("settings", settings);
    List<Object> list = new ArrayList<>();
    for (Phase p : phases) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", p.name);
      m.put("jobs", p.jobs);
      if (p.calls != null) {
        m.put("calls", p.calls);
      }
      m.put("seconds", p.seconds);
      if (p.jobsPerSecond() != null) {
        m.put("jobs_per_second", p.jobsPerSecond());
      }
      m.put("latency_ms", latency(p.latency));
      m.putAll(p.extra);
      if (p.server != null) {
        m.put("server", p.server);
      }
      list.add(m);
    }
    out.put("phases", list);
    out.put("server", server);
    out.put("notes", notes);
    return out;
  }

  static Map<String, Object> latency(Percentiles p) {
    Map<String, Object> m = new LinkedHashMap<>();
    boolean none = p == null || p.isEmpty();
    m.put("p50", none ? null : p.p50());
    m.put("p95", none ? null : p.p95());
    m.put("p99", none ? null : p.p99());
    m.put("max", none ? null : p.max());
    m.put("mean", none ? null : p.mean());
    m.put("count", none ? 0 : p.count());
    return m;
  }

  /** The human report. */
  List<String> tableLines() {
    List<String> lines = new ArrayList<>();
    lines.add("overseer bench " + scenario + " against " + target + "  ("
        + settingsText() + ")");
    lines.add("");
    Table table = new Table("PHASE", "JOBS", "SECONDS", "JOBS/S", "P50 MS", "P95 MS", "P99 MS",
        "MAX MS", "SERVER CPU", "SERVER HEAP");
    for (Phase p : phases) {
      Percentiles l = p.latency;
      boolean none = l == null || l.isEmpty();
      table.row(p.name, p.jobs, fixed(p.seconds, 2),
          p.jobsPerSecond() == null ? "-" : fixed(p.jobsPerSecond(), 1),
          none ? "-" : ms(l.p50()), none ? "-" : ms(l.p95()), none ? "-" : ms(l.p99()),
          none ? "-" : ms(l.max()), cpu(p.server), heap(p.server));
    }
    lines.addAll(table.lines());
    lines.add("");
    if (latencyOf != null) {
      lines.add("latency: " + latencyOf);
    }
    for (Phase p : phases) {
      Map<String, Object> extra = new LinkedHashMap<>();
      if (p.calls != null) {
        extra.put("calls", p.calls);
      }
      extra.putAll(p.extra);
      if (!extra.isEmpty()) {
        lines.add(p.name + ": " + extraText(extra));
      }
    }
    lines.add("server (whole run): " + serverText(server));
    if (errors > 0) {
      lines.add("errors: " + errors);
    }
    for (String note : notes) {
      lines.add("note: " + note);
    }
    return lines;
  }

  private String settingsText() {
    List<String> parts = new ArrayList<>();
    settings.forEach((k, v) -> parts.add(k + " " + text(v)));
    return String.join(", ", parts);
  }

  static String extraText(Map<String, Object> extra) {
    List<String> parts = new ArrayList<>();
    extra.forEach((k, v) -> {
      if (v instanceof Map<?, ?> m && m.containsKey("p50")) {
        parts.add(k.replaceFirst("_ms$", "").replace('_', ' ') + " p50/p95/p99/max " + text(m.get("p50")) + "/"
            + text(m.get("p95")) + "/" + text(m.get("p99")) + "/" + text(m.get("max")) + " ms");
      } else {
        parts.add(k.replace('_', ' ') + " " + text(v));
      }
    });
    return String.join(", ", parts);
  }

  static String serverText(Map<String, Object> s) {
    if (s == null) {
      return "n/a";
    }
    StringBuilder out = new StringBuilder();
    if (Boolean.FALSE.equals(s.get("available"))) {
      out.append(s.get("note"));
    } else {
      out.append("cpu ").append(cpu(s)).append(" of one core");
      if (s.get("cpu_cores") != null) {
        out.append(" (").append(s.get("cpu_cores")).append(" cores)");
      }
      out.append(", heap ").append(heap(s));
      if (s.get("heap_mib_peak") != null) {
        out.append(" (peak ").append(fixed(((Number) s.get("heap_mib_peak")).doubleValue(), 0))
            .append(" MiB)");
      }
      out.append(", gc pauses ").append(text(s.get("gc_pause_ms"))).append(" ms");
      out.append(", db pool waiting peak ").append(text(s.get("db_pool_waiting_peak")));
      if (s.get("watch_streams_peak") != null) {
        out.append(", watch streams peak ").append(s.get("watch_streams_peak"));
      }
      out.append(", machine cpu ").append(percent(s.get("system_cpu_percent")))
          .append(" of all cores");
    }
    out.append("; bench process cpu ").append(percent(s.get("bench_cpu_percent")));
    return out.toString();
  }

  private static String cpu(Map<String, Object> s) {
    return s == null ? "n/a" : percent(s.get("cpu_percent"));
  }

  private static String heap(Map<String, Object> s) {
    Object v = s == null ? null : s.get("heap_mib");
    return v == null ? "n/a" : fixed(((Number) v).doubleValue(), 0) + " MiB";
  }

  private static String percent(Object v) {
    return v == null ? "n/a" : fixed(((Number) v).doubleValue(), 0) + "%";
  }

  static String ms(double v) {
    return fixed(v, v < 10 ? 2 : 1);
  }

  static String text(Object v) {
    if (v == null) {
      return "n/a";
    }
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        return Long.toString((long) d);
      }
      return Math.abs(d) >= 100 ? fixed(d, 0) : Math.abs(d) >= 10 ? fixed(d, 1) : fixed(d, 2);
    }
    return v.toString();
  }

  static String fixed(double v, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
