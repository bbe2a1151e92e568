package dev.revise.experiments.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The one JSON mapper of the command line (compact, one object per line). */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}
}
