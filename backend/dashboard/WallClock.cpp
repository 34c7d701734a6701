#include "dashboard/WallClock.h"

WallClock::WallClock(QObject *parent) : QObject(parent), m_now(QDateTime::currentDateTimeUtc())
{
    m_timer.setInterval(1000);
    connect(&m_timer, &QTimer::timeout, this, &WallClock::tick);
    m_timer.start();
}

void WallClock::setInterval(int ms)
{
    ms = std::max(ms, 50);
    if (ms == m_timer.interval())
        return;
    m_timer.setInterval(ms);
    Q_EMIT intervalChanged();
}

void WallClock::tick()
{
    m_now = QDateTime::currentDateTimeUtc();
    Q_EMIT nowChanged();
}
