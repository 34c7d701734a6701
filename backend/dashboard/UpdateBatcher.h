#pragma once

#include <QObject>

class QTimer;

// Coalesces bursts of changes into at most one flush per interval (default 100 ms, so views
// update at most ~10 times a second however fast etcd changes). The first change after a quiet
// period is shown after one interval, never later.
class UpdateBatcher : public QObject {
    Q_OBJECT
public:
    explicit UpdateBatcher(int intervalMs = 100, QObject *parent = nullptr);

    void schedule(); // something changed; flush() follows within one interval
    // The last flush() left work for another: it follows at the next turn of the event loop,
    // after whatever the GUI thread has waiting (a frame), instead of one interval later.
    void scheduleSoon();
    void flushNow(); // flushes at once when something is pending (tests, user actions)
    bool isPending() const;
    // While held, changes are only noted: nothing flushes until release(), which flushes what
    // was noted within one interval (a view that is not shown need not update its rows).
    void hold();
    void release();
    bool isHeld() const { return m_held; }
    int intervalMs() const;
    void setIntervalMs(int ms);
    int flushCount() const { return m_flushCount; }
    // How long the receivers of the last flush() took (the benchmark and diagnostics read it).
    qint64 lastFlushNsecs() const { return m_lastFlushNsecs; }
    // The GUI thread's CPU time in it: comparable on a busy machine, where the wall time above
    // also counts waiting for a core.
    qint64 lastFlushCpuNsecs() const { return m_lastFlushCpuNsecs; }

Q_SIGNALS:
    void flush();
    void flushed(qint64 nsecs); // after every flush(), with the time its receivers took

private:
    void emitFlush();

    QTimer *m_timer;
    int m_intervalMs;
    bool m_held = false;
    bool m_heldPending = false; // something changed while held
    int m_flushCount = 0;
    qint64 m_lastFlushNsecs = 0;
    qint64 m_lastFlushCpuNsecs = 0;
};
