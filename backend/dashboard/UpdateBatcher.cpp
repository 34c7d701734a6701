#include "dashboard/UpdateBatcher.h"

#include <QElapsedTimer>
#include <QTimer>
#include <utility>

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
    Q_EMIT flush();
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
