#include "core/Log.h"

#include <QDateTime>
#include <cstdio>

namespace {
void handler(QtMsgType, const QMessageLogContext &, const QString &message)
{
    const QByteArray line = Log::format(message).toUtf8();
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
}
} // namespace

QString Log::format(const QString &message)
{
    QString text = message;
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
