package io.connectionswap.testsupport.calls;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * An implementation of an interface that records every call it gets, default methods included, as
 * {@code name(argument,...)}, and does nothing else: what a listener was told, or what a wrapper forwarded.
 *
 * @param <T> the interface; its methods return void
 */
public final class RecordedCalls<T> {

    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final T target;

    private RecordedCalls(Class<T> type) {
        this.target = type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, arguments) -> {
                    calls.add(call(method, arguments));
                    return null;
                }));
    }

    /** Records the calls to an implementation of {@code type}. */
    public static <T> RecordedCalls<T> of(Class<T> type) {
        return new RecordedCalls<>(type);
    }

    /** The implementation to hand out: every call to it is recorded. */
    public T target() {
        return target;
    }

    /** The calls so far, in order, any thread. */
    public List<String> calls() {
        return List.copyOf(calls);
    }

    /** The calls so far to the methods named {@code name}. */
    public List<String> calls(String name) {
        return calls.stream().filter(call -> call.startsWith(name + "(")).toList();
    }

    /**
     * Calls every instance method of {@code type} once on {@code target}, in name order, each with sample arguments (a
     * number 7, the text "sample", an enum's first constant): for a test that a wrapper forwards every call.
     *
     * @return the calls made, as {@link #calls()} records them
     */
    public static <T> List<String> callEach(Class<T> type, T target) {
        List<String> made = new ArrayList<>();
        List<Method> methods = Arrays.stream(type.getMethods())
                .filter(method -> !Modifier.isStatic(method.getModifiers()))
                .sorted(Comparator.comparing(Method::toGenericString)).toList();
        for (Method method : methods) {
            Object[] arguments = Arrays.stream(method.getParameterTypes()).map(RecordedCalls::sample).toArray();
            try {
                method.invoke(target, arguments);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("calling " + method + " failed", e);
            }
            made.add(call(method, arguments.length == 0 ? null : arguments));
        }
        return made;
    }

    private static Object sample(Class<?> parameter) {
        if (parameter == long.class) {
            return 7L;
        } else if (parameter == int.class) {
            return 7;
        } else if (parameter == String.class) {
            return "sample";
        } else if (parameter.isEnum()) {
            return parameter.getEnumConstants()[0];
        }
        throw new IllegalArgumentException("parameter type: " + parameter
                + " (expected: long, int, String or an enum)");
    }

    /** {@code method} with {@code arguments} as recorded: {@code name(argument,...)}. */
    public static String call(Method method, Object... arguments) {
        return method.getName() + "(" + (arguments == null ? "" : Arrays.stream(arguments).map(String::valueOf)
                .collect(Collectors.joining(","))) + ")";
    }
}
