#include "balancer/NginxConfig.h"

#include <QRegularExpression>
#include <QStringList>
#include <algorithm>

namespace {

bool isSafeName(const QString &name)
{
    if (name.isEmpty())
        return false;
    for (QChar c : name) {
        const bool ok = (c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
                        (c >= QLatin1Char('A') && c <= QLatin1Char('Z')) ||
                        (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('_') ||
                        c == QLatin1Char('-') || c == QLatin1Char('.');
        if (!ok)
            return false;
    }
    return true;
}

// An address nginx takes as a literal: digits, hex, dots and colons only, so a registered
// hostname is never resolved by nginx at reload time and nothing can end the directive.
bool isLiteralAddress(const PlannedServer &s)
{
    if (s.ip.isEmpty() || s.port < 1 || s.port > 65535)
        return false;
    for (QChar c : s.ip) {
        const bool ok = (c >= QLatin1Char('0') && c <= QLatin1Char('9')) ||
                        (c >= QLatin1Char('a') && c <= QLatin1Char('f')) ||
                        (c >= QLatin1Char('A') && c <= QLatin1Char('F')) || c == QLatin1Char('.') ||
                        c == QLatin1Char(':');
        if (!ok)
            return false;
    }
    return true;
}

// Comment text from the registry: a line break would end the comment and let the rest be read
// as directives, so control characters become '?'.
QByteArray commentText(const QString &text)
{
    QByteArray out = text.toUtf8();
    for (char &c : out)
        if ((static_cast<unsigned char>(c) < 0x20) || c == 0x7f)
            c = '?';
    return out;
}

} // namespace

namespace NginxConfig {

QByteArray header()
{
    return QByteArrayLiteral("# Written by portolan-lb, which replaces this file whenever the "
                             "registry changes: do not edit.\n");
}

QByteArray render(const BalancerPlan &plan, PlannedBackend::Mode mode, const Settings &settings,
                  QString *error)
{
    QList<PlannedBackend> backends;
    for (const PlannedBackend &b : plan.backends)
        if (b.mode == mode)
            backends.append(b);
    // The plan is sorted already; sorting again keeps the bytes stable whoever built it.
    std::sort(backends.begin(), backends.end(),
              [](const PlannedBackend &a, const PlannedBackend &b) { return a.name < b.name; });

    const bool http = mode == PlannedBackend::Mode::Http;
    QByteArray out = header();
    out += http ? "# HTTP services (http context): proxy_pass http://portolan_<service>;\n"
                : "# TCP services (stream context): proxy_pass portolan_<service>;\n";
    const QByteArray options = QStringLiteral(" max_fails=%1 fail_timeout=%2s;")
                                   .arg(settings.maxFails)
                                   .arg(settings.failTimeoutSeconds)
                                   .toUtf8();
    for (PlannedBackend b : backends) {
        if (!isSafeName(b.name)) {
            if (error)
                *error = QStringLiteral("the upstream name \"%1\" of service %2 is not a plain "
                                        "nginx name; this is a bug in portolan-lb, report it")
                             .arg(QString::fromUtf8(commentText(b.name)),
                                  QString::fromUtf8(commentText(b.service)));
            return {};
        }
        std::sort(b.servers.begin(), b.servers.end(),
                  [](const PlannedServer &x, const PlannedServer &y) { return x.id < y.id; });
        out += "\n# service " + commentText(b.service) + "\n";
        out += "upstream " + b.name.toUtf8() + " {\n";
        int written = 0;
        for (const PlannedServer &s : b.servers) {
            if (!isLiteralAddress(s)) {
                out += "    # left out " + commentText(s.id) + ": \"" + commentText(s.address()) +
                       "\" is not an IP address and port\n";
                continue;
            }
            out +=
                "    server " + s.address().toUtf8() + options + " # " + commentText(s.id) + "\n";
            ++written;
        }
        // nginx refuses an empty upstream block; a server marked down keeps it valid and
        // makes nginx answer 502 (http) or close the connection (stream) at once.
        if (written == 0)
            out += "    server 127.0.0.1:1 down; # placeholder: no instance takes traffic\n";
        out += "}\n";
    }
    return out;
}

QString firstError(const QByteArray &output)
{
    QStringList lines;
    for (const QByteArray &raw : output.split('\n')) {
        QString line = QString::fromUtf8(raw).trimmed();
        if (line.startsWith(QLatin1String("nginx: ")))
            line = line.mid(7);
        if (!line.isEmpty())
            lines.append(line);
    }
    // [emerg] is what made the check fail; an [alert] such as an unwritable default error
    // log can come first and is only the fallback. With an error_log file in the config,
    // nginx -t writes "2026/12/03 03:39:06 [emerg] 8166#8166: MESSAGE" instead.
    static const QRegularExpression pidTid(QStringLiteral("^\\d+#\\d+: "));
    for (const char *level : {"[emerg] ", "[crit] ", "[error] ", "[alert] "}) {
        const QString tag = QString::fromLatin1(level);
        for (const QString &line : lines)
            if (const int at = line.indexOf(tag); at >= 0)
                return line.mid(at + tag.size()).remove(pidTid);
    }
    return lines.value(0);
}

} // namespace NginxConfig
