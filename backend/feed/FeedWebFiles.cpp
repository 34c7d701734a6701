#include "feed/FeedWebFiles.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

std::optional<FeedWebFiles::File> FeedWebFiles::find(const QString &urlPath)
{
    QString path = urlPath.isEmpty() || urlPath.endsWith(QLatin1Char('/'))
                       ? urlPath + QStringLiteral("index.html")
                       : urlPath;
    if (!path.startsWith(QLatin1Char('/')) || path.contains(QLatin1Char('\\')) ||
        path.split(QLatin1Char('/')).contains(QStringLiteral("..")))
        return std::nullopt;
    path = QDir::cleanPath(path);
    if (const auto cached = m_files.constFind(path); cached != m_files.constEnd())
        return *cached;

    const QString resource = QStringLiteral(":/web") + path;
    if (!QFileInfo(resource).isFile())
        return std::nullopt;
    QFile file(resource);
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    File found;
    found.body = file.readAll();
    found.contentType = contentTypeFor(path);
    found.etag = '"' +
                 QCryptographicHash::hash(found.body, QCryptographicHash::Sha256).toHex().left(32) +
                 '"';
    m_files.insert(path, found);
    return found;
}

QByteArray FeedWebFiles::contentTypeFor(const QString &fileName)
{
    static const QHash<QString, QByteArray> types = {
        {QStringLiteral("html"), "text/html; charset=utf-8"},
        {QStringLiteral("js"), "text/javascript; charset=utf-8"},
        {QStringLiteral("mjs"), "text/javascript; charset=utf-8"},
        {QStringLiteral("css"), "text/css; charset=utf-8"},
        {QStringLiteral("json"), "application/json"},
        {QStringLiteral("map"), "application/json"},
        {QStringLiteral("svg"), "image/svg+xml"},
        {QStringLiteral("png"), "image/png"},
        {QStringLiteral("ico"), "image/x-icon"},
        {QStringLiteral("woff2"), "font/woff2"},
        {QStringLiteral("txt"), "text/plain; charset=utf-8"},
    };
    return types.value(QFileInfo(fileName).suffix().toLower(), "application/octet-stream");
}
