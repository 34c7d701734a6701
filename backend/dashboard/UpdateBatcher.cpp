#include "dashboard/UpdateBatcher.h"

#include <QElapsedTimer>
#include <QTimer>

UpdateBatcher::UpdateBatcher(int intervalMs, QObject *parent)
    : QObject(parent), m_timer(new QTimer(this))
{
    m_timer->setSingleShot(true);
    m_timer->setInterval(intervalMs);
    connect(m_timer, &QTimer::timeout, this, &UpdateBatcher::emitFlush);
}

void UpdateBatcher::schedule()
{
    // Not restarted while running: a steady stream of changes must not postpone the update.
    if (!m_timer->isActive())
        m_timer->start();
}

void UpdateBatcher::flushNow()
{
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
    return m_timer->isActive();
}

int UpdateBatcher::intervalMs() const
{
    return m_timer->interval();
}

void UpdateBatcher::setIntervalMs(int ms)
{
    m_timer->setInterval(ms);
}
