#include "docker/DockerEndpoint.h"

#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QUrl>

namespace {

bool setError(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return false;
}

bool readable(const QString &path)
{
    const QFileInfo info(path);
    return info.isFile() && info.isReadable();
}

} // namespace

QString DockerEndpoint::describe() const
{
    if (kind == Kind::Unix)
        return QStringLiteral("unix://") + socketPath;
    const QString h = host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(host) : host;
    return QStringLiteral("tcp://%1:%2%3")
        .arg(h)
        .arg(port)
        .arg(tls ? QStringLiteral(" (TLS)") : QString());
}

bool DockerEndpoint::fromEnvironment(DockerEndpoint *out, QString *error)
{
    // Like the docker CLI, any non-empty DOCKER_TLS_VERIFY (even "0") turns verification on.
    return parse(qEnvironmentVariable("DOCKER_HOST"),
                 !qEnvironmentVariableIsEmpty("DOCKER_TLS_VERIFY"),
                 qEnvironmentVariable("DOCKER_CERT_PATH"), out, error);
}

bool DockerEndpoint::parse(const QString &dockerHost, bool tlsVerify, const QString &certPath,
                           DockerEndpoint *out, QString *error)
{
    DockerEndpoint e;
    const QString value = dockerHost.trimmed();
    const QString quoted = QStringLiteral("DOCKER_HOST \"%1\"").arg(value);
    if (value.isEmpty()) {
        *out = e; // unix:///var/run/docker.sock
        return true;
    }
    if (value.startsWith(QLatin1String("unix://"))) {
        const QString path = value.mid(7);
        if (path.isEmpty())
            return setError(error, QStringLiteral("%1 names no socket path; use "
                                                  "unix:///var/run/docker.sock")
                                       .arg(quoted));
        if (!path.startsWith(QLatin1Char('/')))
            return setError(error, QStringLiteral("%1 needs an absolute socket path, as in "
                                                  "unix:///var/run/docker.sock")
                                       .arg(quoted));
        e.kind = Kind::Unix;
        e.socketPath = QDir::cleanPath(path);
        *out = e;
        return true;
    }
    if (!value.startsWith(QLatin1String("tcp://"))) {
        const qsizetype sep = value.indexOf(QLatin1String("://"));
        if (sep > 0)
            return setError(error, QStringLiteral("%1 uses the scheme %2://, which Portolan does "
                                                  "not support; use unix:// or tcp://")
                                       .arg(quoted, value.left(sep)));
        return setError(
            error, QStringLiteral("%1 is neither unix:///path nor tcp://host:port").arg(quoted));
    }

    const QUrl url(value, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return setError(error,
                        QStringLiteral("%1 is not a valid tcp://host:port address").arg(quoted));
    if (!url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment() ||
        (!url.path().isEmpty() && url.path() != QLatin1String("/")))
        return setError(error, QStringLiteral("%1 must be just tcp://host:port, without a path, "
                                              "user or query")
                                   .arg(quoted));
    e.kind = Kind::Tcp;
    e.host = url.host();
    e.tls = tlsVerify;
    e.tlsVerify = tlsVerify;
    const int port = url.port(-1);
    if (port == 0)
        return setError(error, QStringLiteral("%1 has port 0").arg(quoted));
    e.port = quint16(port > 0 ? port : (e.tls ? 2376 : 2375));

    if (e.tls) {
        e.certPath = certPath.isEmpty() ? QDir::homePath() + QStringLiteral("/.docker") : certPath;
        const QDir dir(e.certPath);
        if (!readable(dir.filePath(QStringLiteral("ca.pem"))))
            return setError(error, QStringLiteral("DOCKER_TLS_VERIFY is set but %1 has no "
                                                  "readable ca.pem; set DOCKER_CERT_PATH to the "
                                                  "folder with ca.pem, cert.pem and key.pem")
                                       .arg(e.certPath));
        const bool cert = readable(dir.filePath(QStringLiteral("cert.pem")));
        const bool key = readable(dir.filePath(QStringLiteral("key.pem")));
        if (cert != key)
            return setError(
                error,
                QStringLiteral("%1 has %2 but not %3; the client certificate "
                               "needs both")
                    .arg(e.certPath, cert ? QStringLiteral("cert.pem") : QStringLiteral("key.pem"),
                         cert ? QStringLiteral("key.pem") : QStringLiteral("cert.pem")));
    } else {
        e.certPath = certPath;
    }
    *out = e;
    return true;
}
