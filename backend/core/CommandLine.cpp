#include "core/CommandLine.h"

#include <QHostAddress>

namespace CommandLine {

QString printable(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u == '\n')
            out += QLatin1String("\\n");
        else if (u == '\r')
            out += QLatin1String("\\r");
        else if (u == '\t')
            out += QLatin1String("\\t");
        else if (u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0) || u == 0x2028 || u == 0x2029)
            out += QStringLiteral("\\u%1").arg(uint(u), 4, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

QString parseInt(const QString &name, const QString &value, int min, int *out)
{
    bool ok = false;
    const int v = value.toInt(&ok);
    if (!ok)
        return QStringLiteral("invalid value \"%1\" for flag -%2: not an integer").arg(value, name);
    if (v < min)
        return QStringLiteral("invalid value \"%1\" for flag -%2: must be at least %3")
            .arg(value, name)
            .arg(min);
    *out = v;
    return {};
}

QString parseBool(const QString &name, const QString &value, bool *out)
{
    static const QStringList yes{"1", "t", "T", "true", "TRUE", "True"};
    static const QStringList no{"0", "f", "F", "false", "FALSE", "False"};
    if (yes.contains(value))
        *out = true;
    else if (no.contains(value))
        *out = false;
    else
        return QStringLiteral("invalid boolean value \"%1\" for flag -%2").arg(value, name);
    return {};
}

QString checkListenAddress(const QString &flag, const QString &value, const QString &example)
{
    const int colon = value.lastIndexOf(QLatin1Char(':'));
    bool ok = false;
    const int port = colon < 0 ? 0 : value.mid(colon + 1).toInt(&ok);
    QString host = value.left(qMax(colon, 0));
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    if (colon <= 0 || !ok || port < 0 || port > 65535 ||
        (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) != 0 &&
         QHostAddress(host).isNull()))
        return QStringLiteral("-%1 must be ADDR:PORT with an IP address, e.g. %2, not \"%3\"")
            .arg(flag, example, value);
    return {};
}

Parsed parse(const QStringList &args, const QList<Flag> &flags)
{
    Parsed result;
    auto fail = [&result](const QString &error) {
        result.outcome = Outcome::Error;
        result.error = printable(error); // values are quoted raw; the error is one line
        return result;
    };
    int i = 0;
    for (; i < args.size(); ++i) {
        const QString &arg = args.at(i);
        if (arg == QLatin1String("--")) {
            ++i;
            break;
        }
        if (arg.size() < 2 || arg.at(0) != QLatin1Char('-'))
            break; // first positional argument
        QString body = arg.mid(arg.startsWith(QLatin1String("--")) ? 2 : 1);
        if (body.isEmpty() || body.startsWith(QLatin1Char('-')) ||
            body.startsWith(QLatin1Char('=')))
            return fail(QStringLiteral("bad flag syntax: %1").arg(arg));
        QString value;
        const int eq = body.indexOf(QLatin1Char('='));
        const bool hasValue = eq >= 0;
        if (hasValue) {
            value = body.mid(eq + 1);
            body.truncate(eq);
        }
        if (body == QLatin1String("h") || body == QLatin1String("help")) {
            result.outcome = Outcome::Help;
            return result;
        }
        if (body == QLatin1String("version") || body == QLatin1String("v")) {
            result.outcome = Outcome::Version;
            return result;
        }
        const Flag *flag = nullptr;
        for (const Flag &f : flags)
            if (f.name == body)
                flag = &f;
        if (!flag)
            return fail(QStringLiteral("flag provided but not defined: -%1").arg(body));
        if (flag->isBool && !hasValue) {
            value = QStringLiteral("true");
        } else if (!hasValue) {
            if (i + 1 >= args.size())
                return fail(QStringLiteral("flag needs an argument: -%1").arg(body));
            value = args.at(++i);
        }
        const QString error = flag->apply(value);
        if (!error.isEmpty())
            return fail(error);
    }
    result.positional = args.mid(i);
    return result;
}

QString usage(const QList<Flag> &flags)
{
    QString text;
    for (const Flag &f : flags) {
        text += QStringLiteral("  -%1%2\n        %3\n")
                    .arg(f.name, f.isBool ? QString() : QStringLiteral(" value"), f.help);
    }
    text += QStringLiteral("  -version\n        Print the version and exit\n"
                           "  -help\n        Print this help and exit\n");
    return text;
}

} // namespace CommandLine
