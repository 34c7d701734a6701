#include "core/ServiceNotifier.h"

#include "core/LogCategories.h"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

ServiceNotifier::ServiceNotifier(QObject *parent) : QObject(parent)
{
    const QByteArray path = qgetenv("NOTIFY_SOCKET");
    if (path.isEmpty())
        return;
    openSocket(path);
    if (isEnabled())
        startWatchdog();
}

ServiceNotifier::~ServiceNotifier()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void ServiceNotifier::openSocket(const QByteArray &path)
{
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // An abstract name has no terminating NUL, a path needs one.
    const bool abstract = path.startsWith('@');
    if (path.size() + (abstract ? 0 : 1) > int(sizeof(address.sun_path))) {
        qCWarning(lcSystemd).noquote()
            << QStringLiteral("NOTIFY_SOCKET is %1 bytes, longer than a unix socket address "
                              "allows; not notifying systemd")
                   .arg(path.size());
        return;
    }
    std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
    if (abstract)
        address.sun_path[0] = '\0';
    const int length = int(offsetof(sockaddr_un, sun_path)) + path.size() + (abstract ? 0 : 1);
    m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_fd < 0) {
        qCWarning(lcSystemd).noquote()
            << "cannot create a socket to notify systemd:" << std::strerror(errno);
        return;
    }
    m_address = QByteArray(reinterpret_cast<const char *>(&address), length);
}

// systemd sets WATCHDOG_PID for the main process; a child that inherited it must stay quiet.
void ServiceNotifier::startWatchdog()
{
    const QByteArray pid = qgetenv("WATCHDOG_PID");
    if (!pid.isEmpty() && pid.toLongLong() != qint64(::getpid()))
        return;
    bool ok = false;
    const qint64 usec = qgetenv("WATCHDOG_USEC").toLongLong(&ok);
    if (!ok || usec <= 0)
        return;
    m_watchdog.setInterval(int(qBound<qint64>(1, usec / 2000, qint64(24) * 3600 * 1000)));
    connect(&m_watchdog, &QTimer::timeout, this, [this] { send(QByteArrayLiteral("WATCHDOG=1")); });
    m_watchdog.start();
}

void ServiceNotifier::ready(const QString &status)
{
    send("READY=1\nSTATUS=" + status.toUtf8());
}

void ServiceNotifier::stopping()
{
    m_watchdog.stop();
    send(QByteArrayLiteral("STOPPING=1\nSTATUS=Stopping"));
}

void ServiceNotifier::send(const QByteArray &message)
{
    if (m_fd < 0)
        return;
    const auto *to = reinterpret_cast<const sockaddr *>(m_address.constData());
    const ssize_t sent = ::sendto(m_fd, message.constData(), size_t(message.size()), MSG_NOSIGNAL,
                                  to, socklen_t(m_address.size()));
    if (sent == ssize_t(message.size()) || std::exchange(m_sendFailed, true))
        return; // the first failure is logged, not one per watchdog tick
    qCWarning(lcSystemd).noquote()
        << QStringLiteral("cannot notify systemd at %1: %2; the agent keeps running")
               .arg(QString::fromUtf8(qgetenv("NOTIFY_SOCKET")),
                    QString::fromLocal8Bit(std::strerror(errno)));
}
