package io.connectionswap.protocol.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Each role's own files in a directory of their own, {@code <pki>/<role>/}: {@code ca.pem}, {@code <role>.pem} and
 * {@code <role>.key}, copied from the flat PKI directory. A container mounts its role's directory only, so none holds
 * another role's key or the CA's key (the compose stack; Kubernetes mounts one secret per role). A copy is replaced in
 * one step, and only when it differs, so a role watching its files (reload-on-update) sees a change once: run it again
 * after replacing files in the PKI directory.
 */
public final class RoleDirectories {

    private RoleDirectories() {
    }

    /**
     * Copies each role's files from {@code pki} into {@code pki/<role>/} (created when missing). A role with a file
     * missing in {@code pki} is left as it is. Returns one line per role saying what it did.
     */
    public static List<String> publish(Path pki) {
        List<String> report = new ArrayList<>();
        for (String role : DevelopmentPki.ROLES) {
            List<String> names = List.of("ca.pem", role + ".pem", role + ".key");
            List<String> missing = names.stream().filter(name -> !Files.isRegularFile(pki.resolve(name))).toList();
            if (!missing.isEmpty()) {
                report.add(pki + " has no " + String.join(", ", missing) + "; " + pki.resolve(role) + " left as it is");
                continue;
            }
            Path directory = pki.resolve(role);
            List<Path> written = new ArrayList<>();
            try {
                Files.createDirectories(directory);
                written.add(directory);
                for (String name : names) {
                    String content = Files.readString(pki.resolve(name), StandardCharsets.US_ASCII);
                    Path copy = directory.resolve(name);
                    if (!Files.isRegularFile(copy) || !content.equals(Files.readString(copy, StandardCharsets.US_ASCII))) {
                        DevelopmentPki.writeFile(copy, content, "rw-r--r--");
                    }
                    written.add(copy);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot copy the files of " + role + " into " + directory, e);
            }
            DevelopmentPki.giveToOwnerOf(pki, written);
            report.add(directory + " has " + String.join(" ", names));
        }
        return report;
    }
}
