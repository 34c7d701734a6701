#include "balancer/HaproxyRuntime.h"

#include <QDeadlineTimer>
#include <QLocalSocket>
#include <QStringList>

HaproxySocket::HaproxySocket(Kind kind, const QString &path, int timeoutMs)
    : m_kind(kind), m_path(path), m_timeoutMs(timeoutMs)
{
}

QString HaproxySocket::describe() const
{
    return m_kind == Kind::Master ? QStringLiteral("haproxy master CLI %1").arg(m_path)
                                  : QStringLiteral("haproxy runtime socket %1").arg(m_path);
}

QString HaproxySocket::exchange(const QString &command, QString *error) const
{
    error->clear();
    const QString hint =
        m_kind == Kind::Master
            ? QStringLiteral("is haproxy running in master-worker mode with `-W -S %1`?")
                  .arg(m_path)
            : QStringLiteral("is `stats socket %1 level admin` in haproxy.cfg and haproxy "
                             "running?")
                  .arg(m_path);
    QDeadlineTimer deadline(m_timeoutMs);
    QLocalSocket socket;
    socket.connectToServer(m_path);
    if (!socket.waitForConnected(int(deadline.remainingTime()))) {
        switch (socket.error()) {
        case QLocalSocket::ServerNotFoundError:
            *error = QStringLiteral("%1 does not exist: %2").arg(describe(), hint);
            break;
        case QLocalSocket::ConnectionRefusedError:
            *error = QStringLiteral("%1 refused the connection: %2").arg(describe(), hint);
            break;
        case QLocalSocket::SocketAccessError:
            *error = QStringLiteral("%1: permission denied; run portolan-lb as a user the "
                                    "socket's `mode`/`user`/`group` allow")
                         .arg(describe());
            break;
        default:
            *error = QStringLiteral("%1 did not accept a connection within %2 ms (%3): %4")
                         .arg(describe())
                         .arg(m_timeoutMs)
                         .arg(socket.errorString(), hint);
        }
        return {};
    }
    // The master CLI keeps the connection open for more commands; `quit` closes it.
    QByteArray line = command.toUtf8();
    if (m_kind == Kind::Master)
        line += ";quit";
    socket.write(line + '\n');
    QByteArray answer;
    while (socket.state() == QLocalSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        answer += socket.readAll();
    }
    answer += socket.readAll();
    if (socket.state() == QLocalSocket::ConnectedState) {
        *error = QStringLiteral("%1 did not answer `%2` within %3 ms; haproxy may be stuck or "
                                "overloaded")
                     .arg(describe(), command)
                     .arg(m_timeoutMs);
        return {};
    }
    const QString text = QString::fromUtf8(answer);
    if (text.startsWith(QLatin1String("Permission denied"))) {
        *error = QStringLiteral("%1 refused `%2`: the socket needs `level admin`")
                     .arg(describe(), command.section(QLatin1Char(' '), 0, 1));
        return {};
    }
    return text;
}

HaproxyProcesses HaproxyLive::parseShowProc(const QString &text)
{
    HaproxyProcesses p;
    int fewest = -1;
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        if (line.startsWith(QLatin1Char('#')))
            continue;
        const QStringList w = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (w.size() < 3)
            continue;
        if (w.at(1) == QLatin1String("master")) {
            p.valid = true;
            p.reloads = w.at(2).toInt();
            // "0 [failed: 1]"
            const int at = line.indexOf(QLatin1String("failed:"));
            if (at >= 0)
                p.failedReloads =
                    line.mid(at + 7).section(QLatin1Char(']'), 0, 0).trimmed().toInt();
        } else if (w.at(1) == QLatin1String("worker")) {
            const int survived = w.at(2).toInt();
            if (fewest < 0 || survived < fewest) {
                fewest = survived;
                p.workerPid = w.at(0).toLongLong();
            }
        }
    }
    return p;
}

HaproxyState HaproxyLive::parseBackends(const QString &showStat)
{
    HaproxyState state;
    const QStringList lines = showStat.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (lines.isEmpty() || !lines.at(0).startsWith(QLatin1String("# ")))
        return state;
    const QStringList header = lines.at(0).mid(2).split(QLatin1Char(','));
    const int nameAt = header.indexOf(QStringLiteral("pxname"));
    const int modeAt = header.indexOf(QStringLiteral("mode"));
    const int svAt = header.indexOf(QStringLiteral("svname"));
    if (nameAt < 0 || modeAt < 0 || svAt < 0)
        return state;
    for (int i = 1; i < lines.size(); ++i) {
        const QStringList f = lines.at(i).split(QLatin1Char(','));
        if (f.size() <= modeAt || f.at(svAt) != QLatin1String("BACKEND") ||
            !f.at(nameAt).startsWith(QLatin1String("portolan_")))
            continue;
        HaproxyBackendState be;
        be.mode = f.at(modeAt) == QLatin1String("tcp") ? PlannedBackend::Mode::Tcp
                                                       : PlannedBackend::Mode::Http;
        state.backends.insert(f.at(nameAt), be);
    }
    return state;
}

void HaproxyLive::addServers(HaproxyState *state, QMap<QString, QSet<QString>> *draining,
                             const QString &serversState)
{
    // "be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ... srv_port ..."
    const QStringList lines = serversState.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        if (line.startsWith(QLatin1Char('#')))
            continue;
        const QStringList w = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (w.size() < 19 || !state->backends.contains(w.at(1)))
            continue;
        const QString ip = w.at(4);
        const QString address = ip.contains(QLatin1Char(':'))
                                    ? QStringLiteral("[%1]:%2").arg(ip, w.at(18))
                                    : QStringLiteral("%1:%2").arg(ip, w.at(18));
        // Admin state bits: forced/inherited/config maintenance 0x01-0x04, drain 0x08/0x10.
        const int admin = w.at(6).toInt();
        if (admin & 0x1f)
            (*draining)[w.at(1)].insert(w.at(3));
        else
            state->backends[w.at(1)].servers.insert(w.at(3), address);
    }
}
