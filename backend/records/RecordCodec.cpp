// The one codec for HostRecord, ServiceRecord and BalancerRecord, driven by their forEachField()
// lists.
#include "records/Records.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace {
QString isoUtc(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

// --- etcd bytes, written directly (bench/FINDINGS.md F12) ---

// A JSON string exactly as QJsonDocument::toJson writes it: UTF-8, with '"', '\\' and control
// characters escaped.
void appendValue(QByteArray &out, QStringView text)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : text.toUtf8()) {
        const auto u = uchar(c);
        if (u >= 0x20 && c != '"' && c != '\\') {
            out += c;
            continue;
        }
        out += '\\';
        switch (c) {
        case '"':
            out += '"';
            break;
        case '\\':
            out += '\\';
            break;
        case '\b':
            out += 'b';
            break;
        case '\f':
            out += 'f';
            break;
        case '\n':
            out += 'n';
            break;
        case '\r':
            out += 'r';
            break;
        case '\t':
            out += 't';
            break;
        default:
            out += "u00";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        }
    }
    out += '"';
}

void appendValue(QByteArray &out, int number)
{
    out += QByteArray::number(number);
}

void appendValue(QByteArray &out, bool value)
{
    out += value ? "true" : "false";
}

void appendValue(QByteArray &out, const QDateTime &t)
{
    appendValue(out, isoUtc(t));
}

void appendValue(QByteArray &out, const QStringList &list)
{
    out += '[';
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (i != 0)
            out += ',';
        appendValue(out, list.at(i));
    }
    out += ']';
}

QByteArray encodeRoute(const BalancerRoute &route);

void appendValue(QByteArray &out, const QList<BalancerRoute> &routes)
{
    out += '[';
    for (qsizetype i = 0; i < routes.size(); ++i) {
        if (i != 0)
            out += ',';
        out += encodeRoute(routes.at(i));
    }
    out += ']';
}

// QMap iterates in key order, which is the order QJsonObject writes.
void appendValue(QByteArray &out, const QMap<QString, QString> &map)
{
    out += '{';
    for (auto it = map.cbegin(); it != map.cend(); ++it) {
        if (it != map.cbegin())
            out += ',';
        appendValue(out, it.key());
        out += ':';
        appendValue(out, it.value());
    }
    out += '}';
}

bool isEmpty(const QDateTime &t)
{
    return !t.isValid();
}

template <typename T> bool isEmpty(const T &value)
{
    return value == T{};
}

template <typename Record> QByteArray encodeEtcd(const Record &record)
{
    QByteArray out;
    out.reserve(512);
    char separator = '{';
    Record::forEachField([&](const RecordField &field, auto member) {
        const auto &value = record.*member;
        if (!field.etcd || (field.optional && isEmpty(value)))
            return;
        out += separator;
        separator = ',';
        out += '"';
        out += field.etcd;
        out += "\":";
        appendValue(out, value);
    });
    if (separator == '{')
        out += '{';
    out += '}';
    return out;
}

QByteArray encodeRoute(const BalancerRoute &route)
{
    return encodeEtcd(route);
}

// --- JSON values, for decoding either form and for the feed ---

enum class Form { Etcd, Feed };

template <typename Record> Record decode(const QJsonObject &json, Form form);
template <typename Record> QJsonObject toFeedJson(const Record &record);

void readValue(const QJsonValue &v, QString *out)
{
    *out = v.toString();
}

// Numbers are ports and counts: accepts 6379 and "6379"; anything outside 0..65535 is 0.
void readValue(const QJsonValue &v, int *out)
{
    if (v.isDouble()) {
        const double d = v.toDouble();
        *out = d >= 0 && d <= 65535 ? static_cast<int>(d) : 0;
        return;
    }
    bool ok = false;
    const int p = v.toString().toInt(&ok);
    *out = ok && p >= 0 && p <= 65535 ? p : 0;
}

void readValue(const QJsonValue &v, bool *out)
{
    if (v.isBool())
        *out = v.toBool(); // otherwise the member's default stands
}

void readValue(const QJsonValue &v, QDateTime *out)
{
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(v.toString(), Qt::ISODate);
    *out = t.isValid() ? t.toUTC() : QDateTime();
}

void readValue(const QJsonValue &v, QStringList *out)
{
    out->clear();
    for (const QJsonValue &t : v.toArray()) {
        if (t.isString())
            out->append(t.toString());
    }
}

void readValue(const QJsonValue &v, QMap<QString, QString> *out)
{
    out->clear();
    const QJsonObject o = v.toObject();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it)
        out->insert(it.key(), it.value().isString() ? it.value().toString()
                                                    : it.value().toVariant().toString());
}

void readValue(const QJsonValue &v, QList<BalancerRoute> *out)
{
    out->clear();
    for (const QJsonValue &route : v.toArray()) {
        if (route.isObject()) // both forms spell a route's members alike
            out->append(decode<BalancerRoute>(route.toObject(), Form::Etcd));
    }
}

QJsonValue jsonValue(const QString &s)
{
    return s;
}

QJsonValue jsonValue(int n)
{
    return n;
}

QJsonValue jsonValue(bool b)
{
    return b;
}

QJsonValue jsonValue(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(isoUtc(t)) : QJsonValue(QJsonValue::Null);
}

QJsonValue jsonValue(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

QJsonValue jsonValue(const QMap<QString, QString> &map)
{
    QJsonObject o;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

QJsonValue jsonValue(const QList<BalancerRoute> &routes)
{
    QJsonArray array;
    for (const BalancerRoute &route : routes)
        array.append(toFeedJson(route));
    return array;
}

const char *nameIn(Form form, const RecordField &field)
{
    return form == Form::Etcd ? field.etcd : field.feed;
}

template <typename Record> Record decode(const QJsonObject &json, Form form)
{
    Record record;
    Record::forEachField([&](const RecordField &field, auto member) {
        if (const char *name = nameIn(form, field)) {
            const auto it = json.constFind(QLatin1String(name));
            if (it != json.constEnd())
                readValue(*it, &(record.*member));
        }
    });
    return record;
}

template <typename Record> QJsonObject toFeedJson(const Record &record)
{
    QJsonObject json;
    Record::forEachField([&](const RecordField &field, auto member) {
        if (field.feed)
            json.insert(QLatin1String(field.feed), jsonValue(record.*member));
    });
    return json;
}

template <typename Record> bool allFieldsEqual(const Record &a, const Record &b)
{
    bool equal = true;
    Record::forEachField(
        [&](const RecordField &, auto member) { equal = equal && a.*member == b.*member; });
    return equal;
}

std::optional<QJsonObject> parseObject(const QByteArray &value)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(value, &error);
    if (!doc.isObject())
        return std::nullopt;
    return doc.object();
}
} // namespace

bool HostRecord::operator==(const HostRecord &o) const
{
    return allFieldsEqual(*this, o);
}

QByteArray HostRecord::toEtcdValue() const
{
    return encodeEtcd(*this);
}

std::optional<HostRecord> HostRecord::fromEtcdValue(const QByteArray &value)
{
    const std::optional<QJsonObject> json = parseObject(value);
    if (!json)
        return std::nullopt;
    return fromEtcdJson(*json);
}

HostRecord HostRecord::fromEtcdJson(const QJsonObject &json)
{
    return decode<HostRecord>(json, Form::Etcd);
}

QJsonObject HostRecord::toJson() const
{
    return toFeedJson(*this);
}

HostRecord HostRecord::fromJson(const QJsonObject &feed)
{
    return decode<HostRecord>(feed, Form::Feed);
}

QString ServiceRecord::address() const
{
    if (ip.isEmpty() && port == 0)
        return {};
    const QString host =
        ip.contains(QLatin1Char(':')) ? QLatin1Char('[') + ip + QLatin1Char(']') : ip;
    return host + QLatin1Char(':') + QString::number(port);
}

bool ServiceRecord::operator==(const ServiceRecord &o) const
{
    return allFieldsEqual(*this, o);
}

QByteArray ServiceRecord::toEtcdValue() const
{
    return encodeEtcd(*this);
}

std::optional<ServiceRecord> ServiceRecord::fromEtcdValue(const QByteArray &value)
{
    const std::optional<QJsonObject> json = parseObject(value);
    if (!json)
        return std::nullopt;
    return decode<ServiceRecord>(*json, Form::Etcd);
}

QJsonObject ServiceRecord::toJson() const
{
    QJsonObject json = toFeedJson(*this);
    json.insert(QStringLiteral("address"), address()); // derived, for readers that only show it
    return json;
}

ServiceRecord ServiceRecord::fromJson(const QJsonObject &feed)
{
    return decode<ServiceRecord>(feed, Form::Feed);
}

bool ServiceRecord::takesTraffic() const
{
    return health.isEmpty() || health == QLatin1String("none") ||
           health == QLatin1String("healthy");
}

bool BalancerRoute::operator==(const BalancerRoute &o) const
{
    return allFieldsEqual(*this, o);
}

bool BalancerRecord::operator==(const BalancerRecord &o) const
{
    return allFieldsEqual(*this, o);
}

QByteArray BalancerRecord::toEtcdValue() const
{
    return encodeEtcd(*this);
}

std::optional<BalancerRecord> BalancerRecord::fromEtcdValue(const QByteArray &value)
{
    const std::optional<QJsonObject> json = parseObject(value);
    if (!json)
        return std::nullopt;
    return decode<BalancerRecord>(*json, Form::Etcd);
}

QJsonObject BalancerRecord::toJson() const
{
    return toFeedJson(*this);
}

BalancerRecord BalancerRecord::fromJson(const QJsonObject &feed)
{
    return decode<BalancerRecord>(feed, Form::Feed);
}
