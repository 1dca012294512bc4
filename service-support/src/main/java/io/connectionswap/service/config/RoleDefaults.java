package io.connectionswap.service.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
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
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::[^}]*)?}");

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
                Matcher variable = VARIABLE.matcher(raw.toString().strip());
                if (variable.matches()) {
                    valueOf(variable.group(1), above).ifPresent(value -> copied.put(property, value));
                }
            }
        }
        if (!copied.isEmpty()) {
            sources.addBefore(firstConfigFile.getName(), new MapPropertySource(PROPERTY_SOURCE, copied));
        }
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
