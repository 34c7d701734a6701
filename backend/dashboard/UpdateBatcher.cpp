#include "dashboard/UpdateBatcher.h"

#include <QElapsedTimer>
#include <QTimer>
#include <time.h>
#include <utility>

namespace {
qint64 threadCpuNsecs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
} // namespace

UpdateBatcher::UpdateBatcher(int intervalMs, QObject *parent)
    : QObject(parent), m_timer(new QTimer(this)), m_intervalMs(intervalMs)
{
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &UpdateBatcher::emitFlush);
}

void UpdateBatcher::schedule()
{
    if (m_held) {
        m_heldPending = true;
        return;
    }
    // Not restarted while running: a steady stream of changes must not postpone the update.
    if (!m_timer->isActive())
        m_timer->start(m_intervalMs);
}

void UpdateBatcher::scheduleSoon()
{
    if (m_held) {
        m_heldPending = true;
        return;
    }
    m_timer->start(0);
}

void UpdateBatcher::hold()
{
    if (m_held)
        return;
    m_held = true;
    if (m_timer->isActive()) {
        m_timer->stop();
        m_heldPending = true;
    }
}

void UpdateBatcher::release()
{
    if (!m_held)
        return;
    m_held = false;
    if (std::exchange(m_heldPending, false))
        schedule();
}

void UpdateBatcher::flushNow()
{
    if (m_held && std::exchange(m_heldPending, false)) {
        emitFlush(); // an explicit request flushes even while held
        return;
    }
    if (!m_timer->isActive())
        return;
    m_timer->stop();
    emitFlush();
}

void UpdateBatcher::emitFlush()
{
    ++m_flushCount;
    QElapsedTimer t;
    t.start();
    const qint64 cpuStart = threadCpuNsecs();
    Q_EMIT flush();
    m_lastFlushCpuNsecs = threadCpuNsecs() - cpuStart;
    m_lastFlushNsecs = t.nsecsElapsed();
    Q_EMIT flushed(m_lastFlushNsecs);
}

bool UpdateBatcher::isPending() const
{
    return m_timer->isActive() || m_heldPending;
}

int UpdateBatcher::intervalMs() const
{
    return m_intervalMs;
}

void UpdateBatcher::setIntervalMs(int ms)
{
    m_intervalMs = ms;
}
