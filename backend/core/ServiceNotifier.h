#pragma once

#include <QByteArray>
#include <QObject>
#include <QTimer>

// systemd's Type=notify protocol without libsystemd: one datagram per state change to
// $NOTIFY_SOCKET ('@' names an abstract socket). READY=1 and STOPPING=1 when told; WATCHDOG=1
// every half of $WATCHDOG_USEC from the event loop, so a stuck loop stops the keep-alives.
// Without $NOTIFY_SOCKET every call does nothing. A fault is logged once and never fatal.
class ServiceNotifier : public QObject {
    Q_OBJECT
public:
    explicit ServiceNotifier(QObject *parent = nullptr);
    ~ServiceNotifier() override;

    bool isEnabled() const { return m_fd >= 0; }
    // Milliseconds between WATCHDOG=1 datagrams; 0 when systemd asked for none.
    int watchdogInterval() const { return m_watchdog.isActive() ? m_watchdog.interval() : 0; }

    void ready(const QString &status);
    void stopping();

private:
    void openSocket(const QByteArray &path);
    void startWatchdog();
    void send(const QByteArray &message);

    int m_fd = -1;
    QByteArray m_address; // a struct sockaddr_un, filled in once
    QTimer m_watchdog;
    bool m_sendFailed = false;
};
