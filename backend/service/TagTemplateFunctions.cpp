#include "service/TagTemplateProgram.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <cmath>

namespace tagtemplate {
namespace {

QString typeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::String:
        return QStringLiteral("string");
    case QJsonValue::Double:
        return QStringLiteral("number");
    case QJsonValue::Bool:
        return QStringLiteral("bool");
    case QJsonValue::Array:
        return QStringLiteral("list");
    case QJsonValue::Object:
        return QStringLiteral("object");
    default:
        return QStringLiteral("nothing");
    }
}

bool isInteger(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    return std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15;
}

QStringList strings(const QJsonValue &v)
{
    return v.toVariant().toStringList();
}

QJsonValue list(const QStringList &l)
{
    return QJsonArray::fromStringList(l);
}

// Go's s[i] with registrator's clamping of sIndex/splitIndex; an empty list is an error (Go
// panics there, which text/template reports as an execution error).
QJsonValue clampedIndex(qint64 i, const QStringList &s, QString *error)
{
    if (s.isEmpty()) {
        *error = QStringLiteral("index %1 out of range for an empty list").arg(i);
        return {};
    }
    if (i < 0) {
        i = -i;
        return i >= s.size() ? s.first() : s.at(s.size() - int(i));
    }
    return i >= s.size() ? s.last() : s.at(int(i));
}

// Go's strings.Split: an empty separator splits into code points.
QStringList goSplit(const QString &v, const QString &sep)
{
    if (!sep.isEmpty())
        return v.split(sep, Qt::KeepEmptyParts);
    QStringList out;
    for (int i = 0; i < v.size(); ++i) {
        const int n = (v.at(i).isHighSurrogate() && i + 1 < v.size()) ? 2 : 1;
        out.append(v.mid(i, n));
        i += n - 1;
    }
    return out;
}

// Go's strings.Replace(v, old, repl, n), n < 0 meaning all.
QString goReplace(const QString &v, const QString &old, const QString &repl, qint64 n)
{
    if (n == 0 || old == repl)
        return v;
    if (old.isEmpty()) {
        const QStringList runes = goSplit(v, QString());
        QString out;
        qint64 done = 0;
        for (int i = 0; i <= runes.size(); ++i) {
            if (n < 0 || done < n) {
                out += repl;
                ++done;
            }
            if (i < runes.size())
                out += runes.at(i);
        }
        return out;
    }
    QString out;
    int from = 0;
    qint64 done = 0;
    while (n < 0 || done < n) {
        const int at = v.indexOf(old, from);
        if (at < 0)
            break;
        out += v.mid(from, at - from) + repl;
        from = at + old.size();
        ++done;
    }
    return out + v.mid(from);
}

QJsonValue strSlice(const QList<QJsonValue> &a, QString *error)
{
    // Go slices bytes; do the same so ASCII ids match registrator exactly.
    const QByteArray v = a.at(0).toString().toUtf8();
    const qint64 len = v.size();
    auto slice = [&](qint64 from, qint64 to) -> QJsonValue {
        if (from < 0 || to < from || to > len) {
            *error = QStringLiteral("slice bounds out of range [%1:%2]").arg(from).arg(to);
            return {};
        }
        return QString::fromUtf8(v.mid(from, to - from));
    };
    if (a.size() == 2 && len >= a.at(1).toInteger())
        return slice(a.at(1).toInteger(), len);
    if (a.size() == 3) {
        const qint64 i = a.at(1).toInteger(), j = a.at(2).toInteger();
        if (len >= i && len >= j) {
            if (i == 0)
                return slice(0, j);
            if (j < i)
                return slice(i, len);
            return slice(i, j);
        }
    }
    return QString::fromUtf8(v);
}

QJsonValue match(const QList<QJsonValue> &a, bool all, QString *error)
{
    const QRegularExpression re(a.at(0).toString());
    if (!re.isValid()) {
        *error = QStringLiteral("bad regular expression %1: %2")
                     .arg(a.at(0).toString(), re.errorString());
        return {};
    }
    QStringList found;
    for (const QString &e : strings(a.at(1))) {
        if (re.match(e).hasMatch()) {
            if (!all)
                return e;
            found.append(e);
        }
    }
    return all ? list(found) : QJsonValue(QString());
}

QHash<QString, Function> buildFunctions()
{
    using T = Type;
    QHash<QString, Function> f;
    f.insert(QStringLiteral("strSlice"), {{T::String}, true, strSlice});
    f.insert(QStringLiteral("sIndex"),
             {{T::Int, T::StringList}, false, [](const QList<QJsonValue> &a, QString *e) {
                  return clampedIndex(a.at(0).toInteger(), strings(a.at(1)), e);
              }});
    f.insert(QStringLiteral("mIndex"),
             {{T::String, T::StringMap}, false, [](const QList<QJsonValue> &a, QString *) {
                  return QJsonValue(a.at(1).toObject().value(a.at(0).toString()).toString());
              }});
    f.insert(QStringLiteral("toUpper"),
             {{T::String}, false, [](const QList<QJsonValue> &a, QString *) {
                  return QJsonValue(a.at(0).toString().toUpper());
              }});
    f.insert(QStringLiteral("toLower"),
             {{T::String}, false, [](const QList<QJsonValue> &a, QString *) {
                  return QJsonValue(a.at(0).toString().toLower());
              }});
    f.insert(QStringLiteral("replace"),
             {{T::Int, T::String, T::String, T::String},
              false,
              [](const QList<QJsonValue> &a, QString *) {
                  return QJsonValue(goReplace(a.at(3).toString(), a.at(1).toString(),
                                              a.at(2).toString(), a.at(0).toInteger()));
              }});
    f.insert(QStringLiteral("join"),
             {{T::String, T::StringList}, false, [](const QList<QJsonValue> &a, QString *) {
                  return QJsonValue(strings(a.at(1)).join(a.at(0).toString()));
              }});
    f.insert(QStringLiteral("split"),
             {{T::String, T::String}, false, [](const QList<QJsonValue> &a, QString *) {
                  return list(goSplit(a.at(1).toString(), a.at(0).toString()));
              }});
    f.insert(QStringLiteral("splitIndex"),
             {{T::Int, T::String, T::String}, false, [](const QList<QJsonValue> &a, QString *e) {
                  return clampedIndex(a.at(0).toInteger(),
                                      goSplit(a.at(2).toString(), a.at(1).toString()), e);
              }});
    f.insert(QStringLiteral("matchFirstElement"),
             {{T::String, T::StringList}, false, [](const QList<QJsonValue> &a, QString *e) {
                  return match(a, false, e);
              }});
    f.insert(QStringLiteral("matchAllElements"),
             {{T::String, T::StringList}, false, [](const QList<QJsonValue> &a, QString *e) {
                  return match(a, true, e);
              }});
    return f;
}

} // namespace

const Function *findFunction(const QString &name)
{
    static const QHash<QString, Function> functions = buildFunctions();
    const auto it = functions.constFind(name);
    return it == functions.constEnd() ? nullptr : &it.value();
}

bool convert(const QJsonValue &v, Type type, QJsonValue *out, QString *error)
{
    const bool null = v.isNull() || v.isUndefined();
    switch (type) {
    case Type::String:
        if (null || v.isString()) {
            *out = QJsonValue(v.toString());
            return true;
        }
        *error = QStringLiteral("expected a string, got %1").arg(typeName(v));
        return false;
    case Type::Int:
        if (null || isInteger(v)) {
            *out = QJsonValue(v.toInteger());
            return true;
        }
        *error = QStringLiteral("expected an integer, got %1").arg(typeName(v));
        return false;
    case Type::StringList:
        if (null) {
            *out = QJsonArray();
            return true;
        }
        if (v.isArray()) {
            const QJsonArray a = v.toArray();
            for (const QJsonValue &e : a) {
                if (!e.isString()) {
                    *error = QStringLiteral("expected a list of strings, got a list of %1")
                                 .arg(typeName(e));
                    return false;
                }
            }
            *out = a;
            return true;
        }
        *error = QStringLiteral("expected a list of strings, got %1").arg(typeName(v));
        return false;
    case Type::StringMap:
        if (null) {
            *out = QJsonObject();
            return true;
        }
        if (v.isObject()) {
            const QJsonObject o = v.toObject();
            for (const QJsonValue &e : o) {
                if (!e.isString()) {
                    *error = QStringLiteral("expected a map of strings, got a map of %1")
                                 .arg(typeName(e));
                    return false;
                }
            }
            *out = o;
            return true;
        }
        *error = QStringLiteral("expected a map of strings, got %1").arg(typeName(v));
        return false;
    }
    return false;
}

bool print(const QJsonValue &v, QString *out, QString *error)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        *out = QString(); // a missing key prints nothing (Go: zero value or "<no value>")
        return true;
    case QJsonValue::String:
        *out = v.toString();
        return true;
    case QJsonValue::Bool:
        *out = v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        return true;
    case QJsonValue::Double:
        *out = isInteger(v) ? QString::number(v.toInteger()) : QString::number(v.toDouble(), 'g');
        return true;
    case QJsonValue::Array: {
        QStringList parts;
        for (const QJsonValue &e : v.toArray()) {
            QString s;
            if (e.isArray() || e.isObject() || !print(e, &s, error)) {
                *error = QStringLiteral("cannot print a list of %1").arg(typeName(e));
                return false;
            }
            parts.append(s);
        }
        *out = QLatin1Char('[') + parts.join(QLatin1Char(' ')) + QLatin1Char(']');
        return true;
    }
    case QJsonValue::Object: {
        const QJsonObject o = v.toObject();
        QStringList parts;
        for (auto it = o.begin(); it != o.end(); ++it) { // QJsonObject is sorted, like Go's fmt
            QString s;
            if (!it.value().isString() || !print(it.value(), &s, error)) {
                *error = QStringLiteral("cannot print an object; name a field in it");
                return false;
            }
            parts.append(it.key() + QLatin1Char(':') + s);
        }
        *out = QStringLiteral("map[") + parts.join(QLatin1Char(' ')) + QLatin1Char(']');
        return true;
    }
    }
    return false;
}

} // namespace tagtemplate
