#include "registry/RegistryConfig.h"

#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QUrl>

namespace {

// "host[:port]" or "[v6]:port"; returns a base URL or an error sentence.
bool parseEndpoint(const QString &text, const QString &scheme, QString *url, QString *error)
{
    QString host = text;
    QString port = QStringLiteral("2379");
    if (host.startsWith(QLatin1Char('['))) {
        const int close = host.indexOf(QLatin1Char(']'));
        if (close < 0) {
            *error = QStringLiteral("unterminated IPv6 address \"%1\"").arg(text);
            return false;
        }
        const QString rest = host.mid(close + 1);
        host = host.mid(1, close - 1);
        if (QHostAddress(host).protocol() != QAbstractSocket::IPv6Protocol) {
            *error = QStringLiteral("\"%1\" is not an IPv6 address").arg(host);
            return false;
        }
        if (!rest.isEmpty()) {
            if (!rest.startsWith(QLatin1Char(':'))) {
                *error = QStringLiteral("bad endpoint \"%1\"").arg(text);
                return false;
            }
            port = rest.mid(1);
        }
        host = QLatin1Char('[') + host + QLatin1Char(']');
    } else {
        const int colon = host.indexOf(QLatin1Char(':'));
        if (colon >= 0) {
            port = host.mid(colon + 1);
            host.truncate(colon);
        }
        if (host.isEmpty()) {
            *error = QStringLiteral("endpoint \"%1\" has no host").arg(text);
            return false;
        }
        for (const QChar c : host) {
            if (!(c.isLetterOrNumber() || c == QLatin1Char('.') || c == QLatin1Char('-') ||
                  c == QLatin1Char('_')) ||
                c.unicode() > 127) {
                *error = QStringLiteral("bad host name \"%1\"").arg(host);
                return false;
            }
        }
    }
    bool ok = false;
    const int p = port.toInt(&ok);
    if (!ok || p < 1 || p > 65535) {
        *error = QStringLiteral("bad port \"%1\" in \"%2\"").arg(port, text);
        return false;
    }
    *url = scheme + QStringLiteral("://") + host + QLatin1Char(':') + QString::number(p);
    return true;
}

} // namespace

// The URI as it may be shown: a password in its userinfo becomes ***.
QString RegistryConfig::maskedUri(const QString &uri)
{
    const int sep = uri.indexOf(QLatin1String("://"));
    if (sep <= 0)
        return uri;
    const int slash = uri.indexOf(QLatin1Char('/'), sep + 3);
    const QString authority = slash < 0 ? uri.mid(sep + 3) : uri.mid(sep + 3, slash - sep - 3);
    const int at = authority.lastIndexOf(QLatin1Char('@'));
    const int colon = at < 0 ? -1 : authority.left(at).indexOf(QLatin1Char(':'));
    if (colon < 0)
        return uri;
    return uri.left(sep + 3) + authority.left(colon) + QStringLiteral(":***") +
           uri.mid(sep + 3 + at);
}

bool RegistryConfig::parseUri(const QString &uri, RegistryConfig *out, QString *error)
{
    auto fail = [&](const QString &why) {
        *error = QStringLiteral("bad registry URI \"%1\": %2").arg(maskedUri(uri), why);
        return false;
    };
    const int sep = uri.indexOf(QLatin1String("://"));
    if (sep <= 0)
        return fail(
            QStringLiteral("expected SCHEME://HOST/PATH, e.g. etcd://127.0.0.1:2379/services"));
    const QString scheme = uri.left(sep).toLower();
    QString rest = uri.mid(sep + 3);

    RegistryConfig c = *out;
    c.tls = false;
    if (scheme == QLatin1String("etcd")) {
        c.backend = Backend::EtcdV3;
    } else if (scheme == QLatin1String("etcds")) {
        c.backend = Backend::EtcdV3;
        c.tls = true;
    } else if (scheme == QLatin1String("etcd2")) {
        c.backend = Backend::EtcdV2;
    } else if (scheme == QLatin1String("skydns2")) {
        c.backend = Backend::SkyDns2;
    } else {
        return fail(
            QStringLiteral("unrecognized adapter \"%1\" (use etcd, etcds, etcd2 or skydns2)")
                .arg(scheme));
    }
    if (rest.contains(QLatin1Char('?')) || rest.contains(QLatin1Char('#')))
        return fail(QStringLiteral("query strings and fragments are not supported"));

    const int slash = rest.indexOf(QLatin1Char('/'));
    QString authority = slash < 0 ? rest : rest.left(slash);
    QString path = slash < 0 ? QString() : rest.mid(slash);

    const int at = authority.lastIndexOf(QLatin1Char('@'));
    const QString masked = maskedUri(uri);
    if (at >= 0) {
        const QString userinfo = authority.left(at);
        authority = authority.mid(at + 1);
        const int colon = userinfo.indexOf(QLatin1Char(':'));
        c.username = QUrl::fromPercentEncoding(userinfo.left(colon).toUtf8());
        if (colon >= 0)
            c.password = QUrl::fromPercentEncoding(userinfo.mid(colon + 1).toUtf8());
        if (c.username.isEmpty())
            return fail(QStringLiteral("empty user name before '@'"));
        if (c.backend == Backend::EtcdV2)
            return fail(QStringLiteral("etcd2:// takes no user name: etcd's v2 API has an auth "
                                       "scheme of its own, which Portolan does not use; "
                                       "etcd:// (v3) does"));
    }

    c.endpoints.clear();
    const QString httpScheme = c.tls ? QStringLiteral("https") : QStringLiteral("http");
    if (authority.isEmpty()) {
        c.endpoints << httpScheme + QStringLiteral("://127.0.0.1:2379");
    } else {
        for (const QString &part : authority.split(QLatin1Char(','))) {
            QString url, why;
            if (!parseEndpoint(part.trimmed(), httpScheme, &url, &why))
                return fail(why);
            c.endpoints << url;
        }
    }

    while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
        path.chop(1);
    if (path == QLatin1String("/"))
        path.clear();
    for (const QChar ch : path) {
        if (ch.unicode() < 0x20 || ch.unicode() == 0x7f)
            return fail(QStringLiteral("control characters in the path"));
    }
    if (path.contains(QLatin1String("//")))
        return fail(QStringLiteral("empty segment in the path"));

    if (c.backend == Backend::SkyDns2) {
        const QString domain = path.mid(1);
        if (domain.isEmpty() || domain.contains(QLatin1Char('/')))
            return fail(QStringLiteral(
                "skydns2 needs a DNS domain, e.g. skydns2://127.0.0.1:2379/cluster.local"));
        QStringList labels = domain.toLower().split(QLatin1Char('.'), Qt::SkipEmptyParts);
        std::reverse(labels.begin(), labels.end());
        c.domain = domain.toLower();
        c.prefix = QStringLiteral("/skydns/") + labels.join(QLatin1Char('/'));
    } else {
        // An empty prefix would scatter services over the root of the keyspace.
        if (path.isEmpty())
            return fail(
                QStringLiteral("a key prefix is required, e.g. %1://127.0.0.1:2379/services")
                    .arg(scheme));
        c.prefix = path;
    }
    c.uri = masked;
    *out = c;
    return true;
}

bool RegistryConfig::applyEtcdAccess(const EtcdAccessFlags &a, QString *error)
{
    const QList<std::pair<QString, QString>> files{{QStringLiteral("-etcd-cacert"), a.caFile},
                                                   {QStringLiteral("-etcd-cert"), a.certFile},
                                                   {QStringLiteral("-etcd-key"), a.keyFile}};
    for (const auto &[flag, path] : files) {
        if (!path.isEmpty() && !QFileInfo(path).isReadable()) {
            *error = QStringLiteral("%1: cannot read \"%2\"").arg(flag, path);
            return false;
        }
    }
    if (a.certFile.isEmpty() != a.keyFile.isEmpty()) {
        *error = QStringLiteral("-etcd-cert and -etcd-key must be given together");
        return false;
    }
    caFile = a.caFile;
    certFile = a.certFile;
    keyFile = a.keyFile;
    // Certificates imply TLS even with etcd:// or etcd2://, which have no TLS scheme of their own.
    if (!a.caFile.isEmpty() || !a.certFile.isEmpty()) {
        tls = true;
        for (QString &e : endpoints)
            e.replace(QLatin1String("http://"), QLatin1String("https://"));
    }

    if (backend == Backend::EtcdV2 && (!a.user.isEmpty() || !a.passwordFile.isEmpty())) {
        // Ignoring them would leave the agent writing without the credentials it was given.
        *error = QStringLiteral("-etcd-user and -etcd-password-file need etcd:// or etcds:// "
                                "(v3 auth); etcd2:// does not use them");
        return false;
    }
    if (!a.user.isEmpty()) {
        const int colon = a.user.indexOf(QLatin1Char(':'));
        username = colon < 0 ? a.user : a.user.left(colon);
        password = colon < 0 ? QString() : a.user.mid(colon + 1);
    }
    if (!a.passwordFile.isEmpty()) {
        QFile f(a.passwordFile);
        if (!f.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("-etcd-password-file: cannot read \"%1\": %2")
                         .arg(a.passwordFile, f.errorString());
            return false;
        }
        password = QString::fromUtf8(f.readAll()).trimmed();
    }
    return true;
}

EtcdClientOptions RegistryConfig::etcdClientOptions() const
{
    EtcdClientOptions o;
    o.endpoints = endpoints;
    o.requestTimeoutMs = requestTimeoutMs;
    o.caFile = caFile;
    o.certFile = certFile;
    o.keyFile = keyFile;
    o.username = username;
    o.password = password;
    return o;
}
