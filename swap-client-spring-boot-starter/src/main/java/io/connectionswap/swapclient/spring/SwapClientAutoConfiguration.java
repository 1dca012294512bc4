package io.connectionswap.swapclient.spring;

import io.connectionswap.protocol.tls.CertificateDirectory;
import io.connectionswap.protocol.tls.TlsContexts;
import io.connectionswap.protocol.tls.TlsIdentity;
import io.connectionswap.protocol.tls.TlsMaterial;
import io.connectionswap.swapclient.SwapClient;
import io.connectionswap.swapclient.SwapClientListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.StringUtils;

/**
 * A {@link SwapClient} bean built from {@link SwapClientProperties}, with every {@link SwapClientListener} bean as
 * its metrics hooks and every {@link SwapClientCustomizer} applied; it connects when the context starts. Active once
 * {@code connection-swap.client.director-target} is set (an application on a shared classpath that does not set it,
 * such as a director, gets no client). Declare your own {@code SwapClient} bean to replace it. Its TLS comes from the
 * SSL bundle {@code connection-swap.client.ssl-bundle} when set (rotating), else from the PEM files of
 * {@code connection-swap.client.certs-dir}.
 */
@AutoConfiguration(afterName = "org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration")
@ConditionalOnClass(SwapClient.class)
@ConditionalOnProperty(prefix = "connection-swap.client", name = "director-target")
@EnableConfigurationProperties(SwapClientProperties.class)
public class SwapClientAutoConfiguration {

    /** The bean name of the client's TLS when it comes from an SSL bundle. */
    public static final String TLS_BEAN = "swapClientTls";

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    SwapClient swapClient(SwapClientProperties properties, ObjectProvider<SwapClientListener> listeners,
                          ObjectProvider<SwapClientCustomizer> customizers,
                          @Qualifier(TLS_BEAN) ObjectProvider<TlsContexts> bundleTls) {
        SwapClient.Builder builder = SwapClient.builder()
                .directors(properties.directorTarget())
                .directorTlsName(properties.directorTlsName());
        TlsContexts tls = bundleTls.getIfAvailable();
        if (tls != null) {
            builder.tls(tls);
        } else {
            builder.identity(TlsIdentity.of(CertificateDirectory.locate(properties.certsDir(),
                    "connection-swap.client.certs-dir"), "client"));
        }
        builder.retryBackoff(properties.retryBackoff(), properties.retryBackoffMax())
                .heartbeat(properties.heartbeatInterval(), properties.heartbeatTimeout())
                .tokenStream(properties.tokenStream())
                .tokenLogLevel(properties.tokenLogLevel())
                .noWorkerWait(properties.noWorkerWait())
                .listener(CompositeSwapClientListener.of(listeners.orderedStream().toList()));
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder.build();
    }

    /**
     * The client's TLS from the SSL bundle {@code connection-swap.client.ssl-bundle}, rebuilt when the bundle is
     * updated (its files changed, with {@code reload-on-update: true}): the next connection to a director uses it.
     */
    @Bean(TLS_BEAN)
    @Conditional(SslBundleNamed.class)
    TlsContexts swapClientTls(SwapClientProperties properties, SslBundles bundles) {
        String name = properties.sslBundle();
        TlsContexts tls = TlsContexts.client("client", material(name, bundles.getBundle(name)));
        bundles.addBundleUpdateHandler(name, updated -> tls.reload(material(name, updated)));
        return tls;
    }

    /** Connects the client when the context starts; for one client only (an application with several runs them). */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(SwapClient.class)
    SwapClientLifecycle swapClientLifecycle(SwapClient swapClient) {
        return new SwapClientLifecycle(swapClient);
    }

    /** {@code connection-swap.client.ssl-bundle} names a bundle: set and not blank (blank: the PEM files of certs-dir). */
    static final class SslBundleNamed extends SpringBootCondition {
        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String name = context.getEnvironment().getProperty("connection-swap.client.ssl-bundle");
            return StringUtils.hasText(name) ? ConditionOutcome.match("ssl bundle " + name)
                    : ConditionOutcome.noMatch("no connection-swap.client.ssl-bundle");
        }
    }

    private static TlsMaterial material(String name, SslBundle bundle) {
        return TlsMaterial.of("ssl bundle " + name, bundle.getManagers().getKeyManagerFactory(),
                bundle.getStores().getKeyStore(), bundle.getStores().getTrustStore());
    }
}
