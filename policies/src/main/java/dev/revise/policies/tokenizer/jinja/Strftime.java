package dev.revise.policies.tokenizer.jinja;

import java.time.LocalDateTime;
import java.time.temporal.ChronoField;
import java.time.temporal.IsoFields;

/**
 * Python's {@code datetime.now().strftime(fmt)} for a naive local time in the C locale (what
 * transformers' {@code strftime_now} returns), including glibc's {@code %-d} no-padding flag.
 * Like a naive datetime, {@code %Z} and {@code %z} print nothing.
 */
final class Strftime {
    private Strftime() {}

    private static final String[] DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    private static final String[] MONTHS = {
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December"
    };

    static String format(LocalDateTime t, String fmt) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                out.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < fmt.length()) {
                noPad = true;
                d = fmt.charAt(++i);
            }
            out.append(directive(t, d, noPad));
        }
        return out.toString();
    }

    private static String num(long v, int width, boolean noPad) {
        String s = Long.toString(v);
        return noPad || s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }

    private static String directive(LocalDateTime t, char d, boolean noPad) {
        int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
        String day = DAYS[t.getDayOfWeek().getValue() - 1];
        String month = MONTHS[t.getMonthValue() - 1];
        return switch (d) {
            case 'Y' -> Integer.toString(t.getYear());
            case 'y' -> num(t.getYear() % 100, 2, noPad);
            case 'm' -> num(t.getMonthValue(), 2, noPad);
            case 'd' -> num(t.getDayOfMonth(), 2, noPad);
            case 'e' -> noPad ? Integer.toString(t.getDayOfMonth()) : String.format("%2d", t.getDayOfMonth());
            case 'H' -> num(t.getHour(), 2, noPad);
            case 'I' -> num(hour12, 2, noPad);
            case 'M' -> num(t.getMinute(), 2, noPad);
            case 'S' -> num(t.getSecond(), 2, noPad);
            case 'f' -> num(t.getNano() / 1000, 6, noPad);
            case 'j' -> num(t.getDayOfYear(), 3, noPad);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'a' -> day.substring(0, 3);
            case 'A' -> day;
            case 'b', 'h' -> month.substring(0, 3);
            case 'B' -> month;
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
            case 'G' -> Integer.toString(t.get(IsoFields.WEEK_BASED_YEAR));
            case 'V' -> num(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2, noPad);
            case 'U' -> num((t.getDayOfYear() + 6 - t.getDayOfWeek().getValue() % 7) / 7, 2, noPad);
            case 'W' -> num((t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() + 6) % 7) / 7, 2, noPad);
            case 'c' ->
                day.substring(0, 3) + " " + month.substring(0, 3) + " " + String.format("%2d", t.getDayOfMonth()) + " "
                        + directive(t, 'X', false) + " " + t.getYear();
            case 'x' ->
                num(t.getMonthValue(), 2, false) + "/" + num(t.getDayOfMonth(), 2, false) + "/"
                        + num(t.getYear() % 100, 2, false);
            case 'X', 'T' ->
                num(t.getHour(), 2, false) + ":" + num(t.getMinute(), 2, false) + ":"
                        + num(t.get(ChronoField.SECOND_OF_MINUTE), 2, false);
            case 'D' -> directive(t, 'x', false);
            case 'F' -> t.getYear() + "-" + num(t.getMonthValue(), 2, false) + "-" + num(t.getDayOfMonth(), 2, false);
            case 'R' -> num(t.getHour(), 2, false) + ":" + num(t.getMinute(), 2, false);
            case 'Z', 'z' -> "";
            case 'n' -> "\n";
            case 't' -> "\t";
            case '%' -> "%";
            default -> throw JinjaException.unsupported("the strftime directive %" + d);
        };
    }
}
