package io.connectionswap.worker.model.openai;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes the upstream's address out of text that leaves the worker. A failure's message travels to the director, the
 * client library and the gateway's JSON error body, and the upstream is an internal host: the worker's own messages
 * never name it, but text it quotes may (the upstream's error message, a proxy's error page, an exception's
 * message). Every occurrence of the URL, the authority ({@code host:port}) or the host becomes {@value #HIDDEN}, and
 * so does any IPv4 or IPv6 address (the host's resolved address, in an exception's message or a proxy's page, where an
 * IPv6 host is often written out in full: {@code /[fd00:0:0:0:0:0:0:7]:8000} for {@code [fd00::7]}); the worker's log
 * names the URL beside the message instead ({@code upstream.url}).
 */
final class UpstreamAddressFilter {

    static final String HIDDEN = "<upstream>";

    private static final Pattern IPV4 =
            Pattern.compile("(?<![\\w.])\\d{1,3}(?:\\.\\d{1,3}){3}(?::\\d{1,5})?(?!\\w|\\.\\w)");

    private static final String HEX_GROUP = "[0-9a-f]{1,4}";
    private static final String HEX_GROUPS = HEX_GROUP + "(?::" + HEX_GROUP + ")*";
    /** Eight groups, or fewer with one {@code ::} (and a group beside it): a clock's 10:32:09 is neither. */
    private static final Pattern IPV6 = Pattern.compile("(?<![\\w:.\\[])\\[?(?:(?:" + HEX_GROUP + ":){7}" + HEX_GROUP
            + "|(?:" + HEX_GROUPS + ")?::" + HEX_GROUPS + "|" + HEX_GROUPS + "::)(?:%[\\w.]+)?]?(?::\\d{1,5})?"
            + "(?![\\w:]|\\.\\w)", Pattern.CASE_INSENSITIVE);

    private final Pattern address;

    UpstreamAddressFilter(URI uri) {
        List<String> forms = new ArrayList<>();
        forms.add(uri.toString());
        forms.add(uri.getScheme() + "://" + uri.getRawAuthority());
        forms.add(uri.getRawAuthority());
        if (uri.getHost() != null) {
            forms.add(uri.getHost());
        }
        StringBuilder alternatives = new StringBuilder();
        for (String form : forms) { // longest first: the URL before the host it contains
            alternatives.append(alternatives.isEmpty() ? "" : "|").append(Pattern.quote(form));
        }
        // a host only as a whole name: "vllm" in "vllm-2.internal" or "myvllm" is another name
        this.address = Pattern.compile("(?<![\\w.-])(?:" + alternatives + ")(?![\\w-]|\\.\\w)",
                Pattern.CASE_INSENSITIVE);
    }

    /** {@code text} with every form of the upstream's address replaced; null stays null. */
    String filter(String text) {
        if (text == null) {
            return null;
        }
        String hidden = address.matcher(text).replaceAll(Matcher.quoteReplacement(HIDDEN));
        hidden = IPV6.matcher(hidden).replaceAll(Matcher.quoteReplacement(HIDDEN));
        return IPV4.matcher(hidden).replaceAll(Matcher.quoteReplacement(HIDDEN));
    }
}
