import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard

// Says why a view is empty or stale: the connection status and its error, or `emptyText` when
// everything is fine but there is nothing to show. Hidden when all is well and there is data.
Rectangle {
    id: banner
    objectName: "statusBanner"
    property string status: "disconnected" // "ready", "connecting", "error", "disconnected"
    property string errorString: ""
    property string emptyText: ""          // shown when ready but empty
    property bool stale: false             // the view still shows an older picture
    readonly property string severity: status === "error" ? "error"
                                       : status === "ready" ? (errorString !== "" ? "warn" : "info")
                                       : "warn"
    readonly property string text: {
        if (status === "error")
            return errorString !== "" ? errorString : qsTr("Error: no data can be read.")
        if (status === "connecting")
            return (errorString !== "" ? errorString : qsTr("Connecting…"))
                   + (stale ? qsTr(" — showing the last known picture.") : "")
        if (status === "disconnected")
            return errorString !== "" ? errorString : qsTr("Not connected.")
        return errorString !== "" ? errorString : emptyText
    }
    visible: text !== ""
    implicitHeight: visible ? label.implicitHeight + 16 : 0
    color: severity === "error" ? Qt.rgba(Theme.bad.r, Theme.bad.g, Theme.bad.b, 0.15)
         : severity === "warn" ? Qt.rgba(Theme.warn.r, Theme.warn.g, Theme.warn.b, 0.15)
         : Theme.surfaceAlt
    border.color: severity === "error" ? Theme.bad : severity === "warn" ? Theme.warn : Theme.border
    radius: Theme.radius

    RowLayout {
        anchors.fill: parent
        anchors.margins: 8
        spacing: 8
        Rectangle {
            width: 10; height: 10; radius: 5
            color: banner.severity === "error" ? Theme.bad
                 : banner.severity === "warn" ? Theme.warn : Theme.accent
        }
        Label {
            textFormat: Text.PlainText
            id: label
            objectName: "statusBannerText"
            Layout.fillWidth: true
            text: banner.text
            color: Theme.text
            wrapMode: Text.Wrap
        }
    }
}
