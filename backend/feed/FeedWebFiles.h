#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>
#include <optional>

// The browser view, compiled into the binary under the Qt resource prefix :/web (from
// resources/web/). Files are read once and kept with their content type and an ETag.
class FeedWebFiles {
public:
    struct File {
        QByteArray body;
        QByteArray contentType;
        QByteArray etag; // quoted, from the content
    };

    // `urlPath` is the decoded URL path; "/" means /index.html. Paths leaving :/web are refused.
    std::optional<File> find(const QString &urlPath);

    static QByteArray contentTypeFor(const QString &fileName);

private:
    QHash<QString, File> m_files;
};
