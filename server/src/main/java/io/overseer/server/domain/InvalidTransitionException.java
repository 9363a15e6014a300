package io.overseer.server.domain;

import java.util.HashMap;
import java.util.Map;

/** A transition the state machine does not allow, e.g. cancelling a terminal job. */
public final class InvalidTransitionException extends OverseerException {
  private final State from;
  private final State to;

  public InvalidTransitionException(String jobId, State from, State to) {
    super(
        "INVALID_TRANSITION",
        "job " + (jobId == null ? "" : jobId + " ") + "cannot go from " + from + " to " + to,
        metadata(jobId, from, to),
        from.isTerminal()
            ? "the job is " + from + ", a terminal state: it cannot change any more"
            : "check the job's state with GetJob before asking for this change");
    this.from = from;
    this.to = to;
  }

  private static Map<String, String> metadata(String jobId, State from, State to) {
    Map<String, String> m = new HashMap<>();
    if (jobId != null) {
      m.put("job_id", jobId);
    }
    m.put("state", from.name());
    m.put("requested_state", to.name());
    return m;
  }

  public State from() {
    return from;
  }

  public State to() {
    return to;
  }
}
