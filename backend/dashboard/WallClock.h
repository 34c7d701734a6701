#pragma once

#include <QDateTime>
#include <QObject>
#include <QTimer>

// One clock for every "3 s ago" in the views: `now` advances every `interval` ms, so a binding
// that reads it re-evaluates, and no delegate needs a timer of its own. QML: WallClock.now.
class WallClock : public QObject {
    Q_OBJECT
    Q_PROPERTY(QDateTime now READ now NOTIFY nowChanged)
    Q_PROPERTY(int interval READ interval WRITE setInterval NOTIFY intervalChanged)
public:
    explicit WallClock(QObject *parent = nullptr);

    QDateTime now() const { return m_now; }
    int interval() const { return m_timer.interval(); }
    void setInterval(int ms);

Q_SIGNALS:
    void nowChanged();
    void intervalChanged();

private:
    void tick();

    QTimer m_timer;
    QDateTime m_now;
};
