#include "core/Log.h"

#include <QDateTime>
#include <QRegularExpression>
#include <cstdio>

namespace {
void handler(QtMsgType, const QMessageLogContext &context, const QString &message)
{
    const QByteArray line = Log::format(Log::prefixed(context.category, message)).toUtf8();
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
}
} // namespace

QString Log::redact(QString text)
{
    // The feed logs no request, but Qt's own debug output (QT_LOGGING_RULES=*.debug=true) may
    // print URLs and headers of etcd's or Docker's traffic; a token must not reach a shared
    // log that way, not even mis-encoded ("token%3D...").
    static const QRegularExpression tokenParam(QStringLiteral("(token(?:=|%3d))[^&\\s\"')]+"),
                                               QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression authHeader(
        QStringLiteral("(authorization\"?\\s*[:,]\\s*\"?)(?:(?:bearer|basic)\\s+)?[^\"\\s,)]+"),
        QRegularExpression::CaseInsensitiveOption);
    // Most lines hold neither word: skip the regular expressions for them.
    if (!text.contains(QLatin1String("token"), Qt::CaseInsensitive) &&
        !text.contains(QLatin1String("authorization"), Qt::CaseInsensitive))
        return text;
    text.replace(tokenParam, QStringLiteral("\\1<redacted>"));
    text.replace(authHeader, QStringLiteral("\\1<redacted>"));
    return text;
}

QString Log::prefixed(const char *category, const QString &message)
{
    // Our own categories read as "cluster: ..."; Qt's and the default one as they are.
    constexpr QLatin1String ours("portolan.");
    const QLatin1String name(category ? category : "");
    if (!name.startsWith(ours) || name.size() == ours.size())
        return message;
    return name.sliced(ours.size()) + QLatin1String(": ") + message;
}

QString Log::format(const QString &message)
{
    QString text = redact(message);
    // One event, one line: a newline inside a container name must not forge a log line.
    text.replace(QLatin1Char('\n'), QLatin1String("\\n"))
        .replace(QLatin1Char('\r'), QLatin1String("\\r"));
    return QDateTime::currentDateTime().toString(QStringLiteral("yyyy/MM/dd HH:mm:ss ")) + text +
           QLatin1Char('\n');
}

void Log::install()
{
    qInstallMessageHandler(handler);
}
