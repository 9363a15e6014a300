package io.overseer.cli;

import io.overseer.client.JobStates;
import io.overseer.v1.JobState;
import picocli.CommandLine;

/** {@code --state}: {@code completed}, {@code COMPLETED} or {@code JOB_STATE_COMPLETED}. */
final class JobStateConverter implements CommandLine.ITypeConverter<JobState> {
  @Override
  public JobState convert(String value) {
    try {
      return JobStates.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
