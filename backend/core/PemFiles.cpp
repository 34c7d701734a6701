#include "core/PemFiles.h"

#include <QFile>

namespace PemFiles {

namespace {

std::optional<QByteArray> readAll(const QString &path, const QString &what, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1 %2: %3").arg(what, path, file.errorString());
        return std::nullopt;
    }
    return file.readAll();
}

} // namespace

std::optional<QList<QSslCertificate>> certificates(const QString &path, const QString &what,
                                                   QString *error)
{
    const std::optional<QByteArray> pem = readAll(path, what, error);
    if (!pem)
        return std::nullopt;
    QList<QSslCertificate> chain = QSslCertificate::fromData(*pem, QSsl::Pem);
    if (chain.isEmpty()) {
        *error = QStringLiteral("%1 %2 holds no PEM certificate").arg(what, path);
        return std::nullopt;
    }
    return chain;
}

std::optional<QSslKey> privateKey(const QString &path, const QString &what, QString *error)
{
    const std::optional<QByteArray> pem = readAll(path, what, error);
    if (!pem)
        return std::nullopt;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(*pem, algorithm, QSsl::Pem);
        if (!key.isNull())
            return key;
    }
    *error = QStringLiteral("%1 %2 is not an unencrypted PEM RSA, EC or DSA key").arg(what, path);
    return std::nullopt;
}

} // namespace PemFiles
