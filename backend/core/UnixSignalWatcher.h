#pragma once

#include <QObject>

class QSocketNotifier;

// Turns SIGTERM/SIGINT/SIGHUP into a Qt signal on the event loop (self-pipe).
class UnixSignalWatcher : public QObject {
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject *parent = nullptr);
    ~UnixSignalWatcher() override;
    void watch(int signalNumber);

Q_SIGNALS:
    void received(int signalNumber);

private:
    QSocketNotifier *m_notifier = nullptr;
};
