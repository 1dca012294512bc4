package io.connectionswap.bootapp;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** An application with nothing of its own: the starter's auto-configuration gives it a {@code SwapClient}. */
@SpringBootApplication
public class PlainBootApplication {
}
