#include "records/Records.h"

QString ClusterEvent::actionName(Action a)
{
    switch (a) {
    case Action::Added:
        return QStringLiteral("added");
    case Action::Removed:
        return QStringLiteral("removed");
    case Action::Changed:
        return QStringLiteral("changed");
    case Action::HostUp:
        return QStringLiteral("host-up");
    case Action::HostGone:
        return QStringLiteral("host-gone");
    }
    return {};
}

QJsonObject ClusterEvent::toJson() const
{
    return {{QStringLiteral("seq"), static_cast<qint64>(seq)},
            {QStringLiteral("action"), actionName(action)},
            {QStringLiteral("host"), host},
            {QStringLiteral("service"), service},
            {QStringLiteral("serviceId"), serviceId},
            {QStringLiteral("address"), address},
            {QStringLiteral("revision"), revision},
            {QStringLiteral("time"), time.isValid()
                                         ? QJsonValue(time.toUTC().toString(Qt::ISODateWithMs))
                                         : QJsonValue(QJsonValue::Null)}};
}
