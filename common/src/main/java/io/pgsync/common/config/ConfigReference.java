package io.pgsync.common.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.kafka.common.config.ConfigDef;

/**
 * Writes a connector's configuration reference from its {@link ConfigDef}, the one source of truth: a Markdown table
 * per group (key, type, default, valid values, importance, description), as the README shows it between the markers
 * {@code <!-- config-reference NAME begin -->} and {@code <!-- config-reference NAME end -->}.
 *
 * <p>The build runs {@link #main} in each connector module: it writes {@code target/config-reference.md} (shipped in
 * the plugin archive) and, with {@code -Dpgsync.readme.update=true}, replaces the README's section with it. A test
 * fails while the README's section differs from the generated one.
 */
public final class ConfigReference {

    private ConfigReference() {
    }

    /**
     * {@code <class holding a public static ConfigDef CONFIG_DEF> <output file> <README> <section name> <update>}.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            throw new IllegalArgumentException("usage: ConfigReference <config class> <output file> <README> <section>"
                    + " <update README: true|false>");
        }
        ConfigDef definition = (ConfigDef) Class.forName(args[0]).getField("CONFIG_DEF").get(null);
        String markdown = markdown(definition);
        Path output = Path.of(args[1]);
        Files.createDirectories(output.toAbsolutePath().getParent());
        Files.writeString(output, markdown, StandardCharsets.UTF_8);
        if (Boolean.parseBoolean(args[4])) {
            Path readme = Path.of(args[2]);
            Files.writeString(readme, replaceSection(Files.readString(readme, StandardCharsets.UTF_8), args[3],
                    markdown), StandardCharsets.UTF_8);
        }
    }

    /** The reference: per group, in the definition's group order, the keys in their order within the group. */
    public static String markdown(ConfigDef definition) {
        Map<String, List<ConfigDef.ConfigKey>> groups = new LinkedHashMap<>();
        definition.groups().forEach(group -> groups.put(group, new ArrayList<>()));
        for (ConfigDef.ConfigKey key : definition.configKeys().values()) {
            groups.computeIfAbsent(key.group == null ? "Other" : key.group, g -> new ArrayList<>()).add(key);
        }
        StringBuilder out = new StringBuilder();
        groups.forEach((group, keys) -> {
            if (keys.isEmpty()) {
                return;
            }
            keys.sort((a, b) -> Integer.compare(a.orderInGroup, b.orderInGroup));
            out.append("Group *").append(group).append("*:\n\n");
            out.append("| key | type | default | valid values | importance | description |\n");
            out.append("|---|---|---|---|---|---|\n");
            for (ConfigDef.ConfigKey key : keys) {
                out.append("| `").append(key.name).append("` | ")
                        .append(key.type.name().toLowerCase(Locale.ROOT)).append(" | ")
                        .append(defaultValue(key)).append(" | ")
                        .append(validValues(key.validator)).append(" | ")
                        .append(key.importance.name().toLowerCase(Locale.ROOT)).append(" | ")
                        .append(cell(key.documentation)).append(" |\n");
            }
            out.append('\n');
        });
        return out.toString().stripTrailing() + "\n";
    }

    /** The README's text between the section's markers, or null when it has no such section. */
    public static String section(String readme, String name) {
        int begin = readme.indexOf(beginMarker(name));
        int end = readme.indexOf(endMarker(name));
        if (begin < 0 || end < begin) {
            return null;
        }
        return readme.substring(begin + beginMarker(name).length(), end).strip() + "\n";
    }

    /** The README with the section's text replaced. */
    static String replaceSection(String readme, String name, String markdown) {
        int begin = readme.indexOf(beginMarker(name));
        int end = readme.indexOf(endMarker(name));
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("The README has no " + beginMarker(name) + " ... " + endMarker(name)
                    + " section");
        }
        return readme.substring(0, begin + beginMarker(name).length()) + "\n" + markdown + readme.substring(end);
    }

    public static String beginMarker(String name) {
        return "<!-- config-reference " + name + " begin -->";
    }

    public static String endMarker(String name) {
        return "<!-- config-reference " + name + " end -->";
    }

    private static String defaultValue(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "(required)";
        }
        Object value = key.defaultValue;
        if (value == null) {
            return "unset";
        }
        String text = value instanceof Collection<?> list
                ? list.stream().map(String::valueOf).collect(Collectors.joining(","))
                : String.valueOf(value);
        return text.isEmpty() ? "empty" : "`" + text.replace("|", "\\|") + "`";
    }

    /** What the validator says it accepts; nothing for one that does not say (a lambda, say). */
    private static String validValues(ConfigDef.Validator validator) {
        if (validator == null) {
            return "";
        }
        try {
            if (validator.getClass().getMethod("toString").getDeclaringClass() == Object.class) {
                return "";
            }
        } catch (NoSuchMethodException e) {
            return "";
        }
        return cell(validator.toString());
    }

    /** A table cell: pipes escaped, line breaks as spaces. */
    private static String cell(String text) {
        return text == null ? "" : text.replace("|", "\\|").replace("\r", "").replace('\n', ' ').strip();
    }
}
