#include "balancer/HaproxyConfig.h"

#include <QCryptographicHash>
#include <QRegularExpression>
#include <QStringList>

bool HaproxyState::sameStructure(const HaproxyState &o) const
{
    if (backends.keys() != o.backends.keys())
        return false;
    for (auto it = backends.cbegin(); it != backends.cend(); ++it)
        if (it.value().mode != o.backends.value(it.key()).mode)
            return false;
    return true;
}

namespace {
bool safeChar(QChar c)
{
    const ushort u = c.unicode();
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
           u == '.' || u == ':' || u == '-';
}

const char *modeWord(PlannedBackend::Mode m)
{
    return m == PlannedBackend::Mode::Tcp ? "tcp" : "http";
}
} // namespace

QString HaproxyConfig::serverName(const QString &id, const QString &address)
{
    QString safe;
    for (QChar c : id.left(40))
        safe += safeChar(c) ? c : QLatin1Char('_');
    if (safe.isEmpty())
        safe = QStringLiteral("server");
    const QByteArray hash = QCryptographicHash::hash((id + QLatin1Char('@') + address).toUtf8(),
                                                     QCryptographicHash::Sha1);
    return safe + QLatin1Char('-') + QString::fromLatin1(hash.toHex().left(8));
}

bool HaproxyConfig::isSafeName(const QString &name)
{
    if (name.isEmpty())
        return false;
    for (QChar c : name)
        if (!safeChar(c))
            return false;
    return true;
}

HaproxyState HaproxyConfig::fromPlan(const BalancerPlan &plan, QString *error)
{
    HaproxyState state;
    for (const PlannedBackend &b : plan.backends) {
        if (!isSafeName(b.name)) {
            *error = QStringLiteral("backend name \"%1\" has characters HAProxy does not accept "
                                    "(only A-Z a-z 0-9 _ . : -); rename the service")
                         .arg(b.name);
            return {};
        }
        HaproxyBackendState be;
        be.mode = b.mode;
        for (const PlannedServer &s : b.servers) {
            const QString name = serverName(s.id, s.address());
            if (be.servers.contains(name)) {
                *error = QStringLiteral("instances of %1 share the server name %2 (the same id "
                                        "and address twice); check the registry for duplicates")
                             .arg(b.service, name);
                return {};
            }
            be.servers.insert(name, s.address());
        }
        state.backends.insert(b.name, be);
    }
    return state;
}

QString HaproxyConfig::render(const HaproxyState &state)
{
    QString out = QStringLiteral(
        "# Written by portolan-lb: the backends of the services it routes, one server per\n"
        "# instance registered in etcd. It is overwritten on every change; edit haproxy.cfg\n"
        "# (frontends, defaults, timeouts) instead.\n");
    for (auto it = state.backends.cbegin(); it != state.backends.cend(); ++it) {
        const HaproxyBackendState &be = it.value();
        out += QStringLiteral("\nbackend %1\n    mode %2\n    balance roundrobin\n")
                   .arg(it.key(), QLatin1String(modeWord(be.mode)));
        // A server that vanished before portolan-lb removed it costs a retry on another
        // server, not a failed request. Only idempotent requests are retried at layer 7.
        out += QStringLiteral("    option redispatch 1\n    retries 3\n");
        if (be.mode == PlannedBackend::Mode::Http)
            out += QStringLiteral("    retry-on conn-failure empty-response junk-response\n"
                                  "    http-request disable-l7-retry if METH_POST || "
                                  "{ method PATCH }\n");
        for (auto s = be.servers.cbegin(); s != be.servers.cend(); ++s)
            out += QStringLiteral("    server %1 %2\n").arg(s.key(), s.value());
    }
    return out;
}

HaproxyState HaproxyConfig::parse(const QString &text, QString *error)
{
    HaproxyState state;
    QString current;
    int lineNo = 0;
    for (const QString &raw : text.split(QLatin1Char('\n'))) {
        ++lineNo;
        const QString line = raw.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        const QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (words.at(0) == QLatin1String("backend") && words.size() == 2) {
            current = words.at(1);
            state.backends.insert(current, {});
        } else if (current.isEmpty()) {
            *error = QStringLiteral("line %1 is outside a backend").arg(lineNo);
            return {};
        } else if (words.at(0) == QLatin1String("mode") && words.size() == 2) {
            state.backends[current].mode = words.at(1) == QLatin1String("tcp")
                                               ? PlannedBackend::Mode::Tcp
                                               : PlannedBackend::Mode::Http;
        } else if (words.at(0) == QLatin1String("server") && words.size() == 3) {
            state.backends[current].servers.insert(words.at(1), words.at(2));
        }
    }
    return state;
}
