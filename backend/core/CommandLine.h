#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <functional>

// Go's flag package, as registrator's users know it: "-f", "--f", "-f=v", "-f v"; booleans take
// only "-f" or "-f=true|false"; parsing stops at the first non-flag or "--". Shared by portolan
// and portolan-lb so both read a command line the same way.
namespace CommandLine {

struct Flag {
    QString name;
    QString help;
    bool isBool = false;
    // Applies the value; returns an error sentence or an empty string.
    std::function<QString(const QString &value)> apply;
};

enum class Outcome { Run, Help, Version, Error };

struct Parsed {
    Outcome outcome = Outcome::Run;
    QString error;          // one line, for Outcome::Error
    QStringList positional; // what follows the flags
};

Parsed parse(const QStringList &args, const QList<Flag> &flags);
// "  -name value\n        help\n" for each flag, then -version and -help.
QString usage(const QList<Flag> &flags);

// A value quoted in an error line, with control characters escaped: the error is one line.
QString printable(const QString &text);
QString parseInt(const QString &name, const QString &value, int min, int *out);
QString parseBool(const QString &name, const QString &value, bool *out);
// "ADDR:PORT" with an IP address (or localhost) and a port 0-65535; the error names the flag.
QString checkListenAddress(const QString &flag, const QString &value, const QString &example);

} // namespace CommandLine
