#include "core/Version.h"

QString Portolan::version()
{
    return QStringLiteral(PORTOLAN_VERSION);
}
