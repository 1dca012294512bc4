package io.connectionswap.service.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;

/**
 * Keeps the documented environment variables above an operator's {@code application.yaml}. A role's defaults
 * ({@code <role>-service.yml}) read each variable through a placeholder ({@code stall-factor:
 * ${CONNECTION_SWAP_STALL_FACTOR:3}}), so a file that sets the property itself would replace the variable too.
 * This copies every such variable that the environment, a system property or a command-line argument sets onto its
 * property, in a property source just above the config files: environment > {@code application.yaml} > role
 * defaults, whichever name the value is given under.
 */
public final class RoleDefaults {

    /** Name of the property source this adds. */
    public static final String PROPERTY_SOURCE = "connection-swap-environment-variables";

    private static final String CONFIG_RESOURCE = "Config resource '";
    private static final Pattern VARIABLE_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");

    private RoleDefaults() {
    }

    /** For the defaults in {@code <configName>.yml} (e.g. {@code director-service}), profile-specific ones too. */
    public static ApplicationContextInitializer<ConfigurableApplicationContext> environmentFirst(String configName) {
        if (configName == null || configName.isBlank()) {
            throw new IllegalArgumentException("configName: '" + configName + "' (expected: e.g. director-service)");
        }
        Pattern defaultsFile = Pattern.compile("[\\[/]" + Pattern.quote(configName)
                + "(-[^/\\]]+)?\\.(yml|yaml|properties)]");
        return context -> apply(context.getEnvironment().getPropertySources(), defaultsFile);
    }

    static void apply(MutablePropertySources sources, Pattern defaultsFile) {
        var above = new ArrayList<PropertySource<?>>();
        PropertySource<?> firstConfigFile = null;
        var defaults = new ArrayList<EnumerablePropertySource<?>>();
        for (PropertySource<?> source : sources) {
            boolean configFile = source.getName().startsWith(CONFIG_RESOURCE);
            if (configFile && firstConfigFile == null) {
                firstConfigFile = source;
            }
            if (!configFile && firstConfigFile == null && !"configurationProperties".equals(source.getName())) {
                above.add(source); // command line, system properties, environment: what a user sets per process
            }
            if (configFile && defaultsFile.matcher(source.getName()).find()
                    && source instanceof EnumerablePropertySource<?> enumerable) {
                defaults.add(enumerable);
            }
        }
        if (firstConfigFile == null) {
            return;
        }
        Map<String, Object> copied = new LinkedHashMap<>();
        for (EnumerablePropertySource<?> source : defaults) {
            for (String property : source.getPropertyNames()) {
                if (copied.containsKey(property) || !(source.getProperty(property) instanceof CharSequence raw)) {
                    continue;
                }
                for (String variable : variables(raw.toString().strip())) {
                    Optional<Object> value = valueOf(variable, above);
                    if (value.isPresent()) {
                        copied.put(property, value.get());
                        break;
                    }
                }
            }
        }
        if (!copied.isEmpty()) {
            sources.addBefore(firstConfigFile.getName(), new MapPropertySource(PROPERTY_SOURCE, copied));
        }
    }

    /**
     * The variables a value that is one placeholder reads, in the order they are tried: {@code [A]} for
     * {@code ${A:default}}, {@code [A, B]} for {@code ${A:${B:default}}}; none for anything else (text around or
     * between placeholders, a property name inside).
     */
    static List<String> variables(String value) {
        List<String> names = new ArrayList<>();
        String text = value;
        while (text.startsWith("${") && closingBrace(text) == text.length() - 1) {
            String inner = text.substring(2, text.length() - 1);
            int colon = inner.indexOf(':');
            String name = colon < 0 ? inner : inner.substring(0, colon);
            if (!VARIABLE_NAME.matcher(name).matches()) {
                return List.of();
            }
            names.add(name);
            if (colon < 0) {
                break;
            }
            text = inner.substring(colon + 1);
        }
        return names;
    }

    /** The index of the brace that closes the {@code ${} at the start of {@code text}, or -1. */
    private static int closingBrace(String text) {
        int depth = 0;
        for (int i = 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{' && text.charAt(i - 1) == '$') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static Optional<Object> valueOf(String variable, Iterable<PropertySource<?>> sources) {
        for (PropertySource<?> source : sources) {
            Object value = source.getProperty(variable);
            if (value != null) {
                return Optional.of(value);
            }
        }
        return Optional.empty();
    }
}
