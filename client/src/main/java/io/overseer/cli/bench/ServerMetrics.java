package io.overseer.cli.bench;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The server's own figures, read from its Prometheus endpoint ({@code --metrics URL}): CPU from
 * {@code overseer_process_cpu_time_ns_total} (else the mean of {@code overseer_process_cpu_usage}),
 * heap as the sum of {@code overseer_jvm_memory_used_bytes{area="heap"}}, plus GC pauses, the
 * database pool's waiting callers and the machine's CPU. Sampled once a second in the background
 * (for peaks) and at the edges of each measured window. Without a URL, or when the endpoint
 * cannot be read, every server figure is "n/a". The bench process's own CPU is always given.
 */
final class ServerMetrics implements AutoCloseable {
  /** One scrape; null fields are metrics the server did not serve. */
  record Sample(
      long nanos,
      Double cpuTimeNs,
      Double cpuUsage,
      Double cpuCount,
      Double heapBytes,
      Double systemCpu,
      Double poolPending,
      Double gcPauseSeconds,
      Double watchStreams) {}

  private final URI uri;
  private final HttpClient http;
  private final List<Sample> samples = new ArrayList<>();
  private ScheduledExecutorService sampler;
  private volatile String problem;

  private ServerMetrics(URI uri, String problem) {
    this.uri = uri;
    this.problem = problem;
    this.http = uri == null ? null
        : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  /** Reads {@code url}; null or blank: no server figures. Starts the 1 s background sampler. */
  static ServerMetrics open(String url) {
    if (url == null || url.isBlank()) {
      return new ServerMetrics(null, "no --metrics URL given");
    }
    URI uri;
    try {
      uri = URI.create(url.strip());
      if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
        throw new IllegalArgumentException("not an http(s) URL");
      }
    } catch (IllegalArgumentException e) {
      throw new io.overseer.cli.UsageException("--metrics: '" + url + "' is not a URL such as"
          + " http://127.0.0.1:9464/metrics");
    }
    ServerMetrics metrics = new ServerMetrics(uri, null);
    if (metrics.scrape() != null) {
      metrics.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-metrics");
        t.setDaemon(true);
        return t;
      });
      metrics.sampler.scheduleAtFixedRate(metrics::scrape, 1, 1, TimeUnit.SECONDS);
    }
    return metrics;
  }

  /** Why there are no server figures, or null when there are. */
  String problem() {
    return problem;
  }

  /** Scrapes now and keeps the sample; null if the endpoint could not be read. */
  Sample scrape() {
    if (uri == null) {
      return null;
    }
    try {
      HttpResponse<String> response = http.send(
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        problem = "GET " + uri + " answered HTTP " + response.statusCode();
        return null;
      }
      Sample sample = parse(System.nanoTime(), response.body());
      synchronized (samples) {
        samples.add(sample);
      }
      return sample;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      problem = "cannot read " + uri + " (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")";
      return null;
    }
  }

  /** Starts a measured window: the figures between now and {@link Window#end()}. */
  Window begin() {
    return new Window();
  }

  @Override
  public void close() {
    if (sampler != null) {
      sampler.shutdownNow();
    }
  }

  /** The server's (and this process's) figures over one stretch of time. */
  final class Window {
    private final Sample first;
    private final long startNanos = System.nanoTime();
    private final long benchCpuStart = benchCpuNanos();

    private Window() {
      first = scrape();
    }

    /**
     * {@code cpu_percent} (server process, % of one core), {@code cpu_cores}, {@code heap_mib}
     * (at the end), {@code heap_mib_peak}, {@code gc_pause_ms}, {@code db_pool_waiting_peak},
     * {@code system_cpu_percent} (whole machine, % of all cores) and {@code bench_cpu_percent}
     * (this process); figures the server does not serve are null, and all of them with
     * {@code available: false} when there is no endpoint.
     */
    Map<String, Object> end() {
      Sample last = scrape();
      long endNanos = System.nanoTime();
      Map<String, Object> out = new LinkedHashMap<>();
      if (first == null || last == null) {
        out.put("available", false);
        out.put("note", "n/a: " + (problem == null ? "no samples" : problem));
      } else {
        List<Sample> window = samplesBetween(first.nanos(), last.nanos());
        double seconds = (last.nanos() - first.nanos()) / 1e9;
        Double cpu = null;
        if (first.cpuTimeNs() != null && last.cpuTimeNs() != null && seconds > 0) {
          cpu = (last.cpuTimeNs() - first.cpuTimeNs()) / 1e9 / seconds * 100;
        } else if (last.cpuCount() != null) {
          Double usage = mean(window, Sample::cpuUsage);
          cpu = usage == null ? null : usage * last.cpuCount() * 100;
        }
        out.put("available", true);
        out.put("cpu_percent", cpu);
        out.put("cpu_cores", last.cpuCount() == null ? null : last.cpuCount().intValue());
        out.put("heap_mib", mib(last.heapBytes()));
        out.put("heap_mib_peak", mib(max(window, Sample::heapBytes)));
        out.put("gc_pause_ms", first.gcPauseSeconds() == null || last.gcPauseSeconds() == null
            ? null : (last.gcPauseSeconds() - first.gcPauseSeconds()) * 1000);
        Double waiting = max(window, Sample::poolPending);
        out.put("db_pool_waiting_peak", waiting == null ? null : waiting.longValue());
        Double system = mean(window, Sample::systemCpu);
        out.put("system_cpu_percent", system == null ? null : system * 100);
        Double streams = max(window, Sample::watchStreams);
        if (streams != null && streams > 0) {
          out.put("watch_streams_peak", streams.longValue());
        }
      }
      double wall = (endNanos - startNanos) / 1e9;
      long benchCpu = benchCpuNanos();
      out.put("bench_cpu_percent", benchCpu < 0 || benchCpuStart < 0 || wall <= 0 ? null
          : (benchCpu - benchCpuStart) / 1e9 / wall * 100);
      return out;
    }
  }

  private List<Sample> samplesBetween(long from, long to) {
    synchronized (samples) {
      return samples.stream().filter(s -> s.nanos() >= from && s.nanos() <= to).toList();
    }
  }

  private static Double mean(List<Sample> samples, Function<Sample, Double> f) {
    return samples.stream().map(f).filter(v -> v != null && !v.isNaN())
        .mapToDouble(Double::doubleValue).average().stream().boxed().findFirst().orElse(null);
  }

  private static Double max(List<Sample> samples, Function<Sample, Double> f) {
    return samples.stream().map(f).filter(v -> v != null && !v.isNaN())
        .mapToDouble(Double::doubleValue).max().stream().boxed().findFirst().orElse(null);
  }

  private static Double mib(Double bytes) {
    return bytes == null ? null : bytes / (1024 * 1024);
  }

  /** CPU time of this JVM (all threads), or -1 if the platform does not say. */
  static long benchCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** Parses the Prometheus text format into the figures we use. */
  static Sample parse(long nanos, String text) {
    Map<String, Double> sums = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Metric m = Metric.parse(line);
      if (m == null) {
        continue;
      }
      String key = switch (m.name()) {
        case "overseer_jvm_memory_used_bytes" ->
            "heap".equals(m.labels().get("area")) ? "heap" : null;
        case "overseer_process_cpu_time_ns_total", "overseer_process_cpu_usage",
            "overseer_system_cpu_count", "overseer_system_cpu_usage",
            "overseer_hikaricp_connections_pending", "overseer_jvm_gc_pause_seconds_sum",
            "overseer_watch_streams" -> m.name();
        default -> null;
      };
      if (key != null && !Double.isNaN(m.value())) {
        sums.merge(key, m.value(), Double::sum);
      }
    }
    return new Sample(
        nanos,
        sums.get("overseer_process_cpu_time_ns_total"),
        sums.get("overseer_process_cpu_usage"),
        sums.get("overseer_system_cpu_count"),
        sums.get("heap"),
        sums.get("overseer_system_cpu_usage"),
        sums.get("overseer_hikaricp_connections_pending"),
        sums.get("overseer_jvm_gc_pause_seconds_sum"),
        sums.get("overseer_watch_streams"));
  }

  /** One sample line: {@code name{k="v",...} value [timestamp]}. */
  record Metric(String name, Map<String, String> labels, double value) {
    static Metric parse(String line) {
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      String name;
      Map<String, String> labels = new HashMap<>();
      int rest;
      if (brace >= 0 && (space < 0 || brace < space)) {
        name = line.substring(0, brace);
        int i = brace + 1;
        while (i < line.length() && line.charAt(i) != '}') {
          int eq = line.indexOf('=', i);
          if (eq < 0 || eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
            return null;
          }
          String key = line.substring(i, eq).strip();
          StringBuilder value = new StringBuilder();
          int j = eq + 2;
          while (j < line.length() && line.charAt(j) != '"') {
            char c = line.charAt(j);
            if (c == '\\' && j + 1 < line.length()) {
              char next = line.charAt(++j);
              value.append(next == 'n' ? '\n' : next);
            } else {
              value.append(c);
            }
            j++;
          }
          labels.put(key, value.toString());
          i = j + 1;
          if (i < line.length() && line.charAt(i) == ',') {
            i++;
          }
        }
        rest = i + 1;
      } else if (space > 0) {
        name = line.substring(0, space);
        rest = space;
      } else {
        return null;
      }
      if (rest > line.length()) {
        return null;
      }
      String[] parts = line.substring(rest).strip().split("\\s+");
      try {
        return new Metric(name, labels, parseValue(parts[0]));
      } catch (NumberFormatException e) {
        return null;
      }
    }

    private static double parseValue(String s) {
      return switch (s) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        case "NaN" -> Double.NaN;
        default -> Double.parseDouble(s);
      };
    }
  }
}
