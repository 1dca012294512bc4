package io.connectionswap.service.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySourcesPropertyResolver;

/**
 * README "Configuration": environment variables > application.yaml > the role's defaults. The client's and the
 * worker's defaults give {@code director-target} as a nested placeholder,
 * {@code ${CONNECTION_SWAP_DIRECTOR_TARGET:${CONNECTION_SWAP_DIRECTOR_ADDR:127.0.0.1:61000}}}, which
 * {@link RoleDefaults} did not read: an application.yaml that set {@code connection-swap.client.director-target}
 * won over {@code CONNECTION_SWAP_DIRECTOR_TARGET}.
 */
class RoleDefaultsTest {

    private static final Pattern CLIENT_DEFAULTS =
            Pattern.compile("[\\[/]" + Pattern.quote("client-service") + "(-[^/\\]]+)?\\.(yml|yaml|properties)]");

    @Test
    void theVariablesOfAPlaceholderAreReadInTheOrderTheyAreTried() {
        assertThat(RoleDefaults.variables("${A}")).containsExactly("A");
        assertThat(RoleDefaults.variables("${A:3}")).containsExactly("A");
        assertThat(RoleDefaults.variables("${A:${B:127.0.0.1:61000}}")).containsExactly("A", "B");
        assertThat(RoleDefaults.variables("${A:${B:${C:x}}}")).containsExactly("A", "B", "C");
        assertThat(RoleDefaults.variables("${A:}")).containsExactly("A");
        // not one placeholder: left to Spring as before
        assertThat(RoleDefaults.variables("${A:x}-${B:y}")).isEmpty();
        assertThat(RoleDefaults.variables("http://${A:h}:8080")).isEmpty();
        assertThat(RoleDefaults.variables("${server.port:8080}")).isEmpty();
        assertThat(RoleDefaults.variables("${A")).isEmpty();
        assertThat(RoleDefaults.variables("plain")).isEmpty();
    }

    @Test
    void theSecondVariableOfANestedDefaultOverridesApplicationYamlWhenOnlyItIsSet() {
        MutablePropertySources sources = new MutablePropertySources();
        sources.addLast(new MapPropertySource("systemEnvironment",
                Map.of("CONNECTION_SWAP_DIRECTOR_ADDR", "director-addr-from-env:61000")));
        sources.addLast(new MapPropertySource("Config resource 'file [config/application.yaml]' via location 'optional:file:config/'",
                Map.of("connection-swap.client.director-target", "director-from-yaml:61000")));
        sources.addLast(new MapPropertySource("Config resource 'class path resource [client-service.yml]' via location 'optional:classpath:/'",
                Map.of("connection-swap.client.director-target",
                        "${CONNECTION_SWAP_DIRECTOR_TARGET:${CONNECTION_SWAP_DIRECTOR_ADDR:127.0.0.1:61000}}")));

        RoleDefaults.apply(sources, CLIENT_DEFAULTS);

        assertThat(new PropertySourcesPropertyResolver(sources).getProperty("connection-swap.client.director-target"))
                .isEqualTo("director-addr-from-env:61000");
    }

    @Test
    void theDirectorTargetVariableOverridesApplicationYamlThoughItsDefaultIsNested() {
        MutablePropertySources sources = new MutablePropertySources();
        sources.addLast(new MapPropertySource("systemEnvironment",
                Map.of("CONNECTION_SWAP_DIRECTOR_TARGET", "director-from-env:61000")));
        sources.addLast(new MapPropertySource("Config resource 'file [config/application.yaml]' via location 'optional:file:config/'",
                Map.of("connection-swap.client.director-target", "director-from-yaml:61000")));
        sources.addLast(new MapPropertySource("Config resource 'class path resource [client-service.yml]' via location 'optional:classpath:/'",
                Map.of("connection-swap.client.director-target",
                        "${CONNECTION_SWAP_DIRECTOR_TARGET:${CONNECTION_SWAP_DIRECTOR_ADDR:127.0.0.1:61000}}",
                        "connection-swap.client.max-tokens", "${CONNECTION_SWAP_MAX_TOKENS:30}")));

        RoleDefaults.apply(sources, CLIENT_DEFAULTS);

        PropertySourcesPropertyResolver resolver = new PropertySourcesPropertyResolver(sources);
        assertThat(resolver.getProperty("connection-swap.client.director-target"))
                .isEqualTo("director-from-env:61000");
    }
}
