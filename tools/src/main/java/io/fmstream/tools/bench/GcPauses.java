package io.fmstream.tools.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The stop-the-world collections of this JVM while open, as spans of wall time: the benchmarks run
 * the job in this JVM, so a collector pause stops the job's threads too. Concurrent cycles are left
 * out (they take CPU, not the threads).
 */
final class GcPauses implements NotificationListener, AutoCloseable {

    private final long jvmStartMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final List<LatencyTail.Span> pauses = new ArrayList<>();

    GcPauses() {
        for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (bean instanceof NotificationEmitter e) {
                e.addNotificationListener(this, null, null);
                emitters.add(e);
            }
        }
    }

    @Override
    public void handleNotification(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(
                n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        if (info.getGcName().contains("Concurrent")) {
            return;
        }
        long from = jvmStartMillis + info.getGcInfo().getStartTime();
        long to = jvmStartMillis + info.getGcInfo().getEndTime();
        synchronized (pauses) {
            pauses.add(new LatencyTail.Span(from, Math.max(from, to)));
        }
    }

    /** The pauses that overlap {@code [fromMillis, toMillis]}. */
    List<LatencyTail.Span> between(long fromMillis, long toMillis) {
        synchronized (pauses) {
            return pauses.stream()
                    .filter(p -> p.toMillis() >= fromMillis && p.fromMillis() <= toMillis)
                    .toList();
        }
    }

    @Override
    public void close() {
        for (NotificationEmitter e : emitters) {
            try {
                e.removeNotificationListener(this);
            } catch (ListenerNotFoundException gone) {
                // Not registered any more: nothing to remove.
            }
        }
    }
}
