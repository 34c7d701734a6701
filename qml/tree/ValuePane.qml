import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Portolan.Dashboard

// One key: pretty JSON, revisions, lease. Read-only.
Rectangle {
    id: pane
    objectName: "valuePane"
    property var selected: ({})
    color: Theme.surface
    border.color: Theme.border
    radius: Theme.radius

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 6
        Label {
            textFormat: Text.PlainText
            objectName: "valueKey"
            text: pane.selected.key ? pane.selected.key : qsTr("Select a key to see its value.")
            color: pane.selected.key ? Theme.text : Theme.subtext
            font.bold: !!pane.selected.key
            font.family: Theme.monoFont
            wrapMode: Text.WrapAnywhere
            Layout.fillWidth: true
        }
        Label {
            textFormat: Text.PlainText
            objectName: "valueMeta"
            visible: !!pane.selected.found
            text: qsTr("revision %1 (created %2) · version %3 · %4 bytes · %5")
                  .arg(pane.selected.modRevision).arg(pane.selected.createRevision)
                  .arg(pane.selected.version).arg(pane.selected.size)
                  .arg(pane.selected.lease ? qsTr("lease %1").arg(pane.selected.lease) : qsTr("no lease"))
            color: Theme.subtext
            font.pixelSize: 12
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
        Label {
            textFormat: Text.PlainText
            objectName: "valueError"
            visible: !!pane.selected.error || !!pane.selected.loading
            text: pane.selected.loading ? qsTr("Reading…") : (pane.selected.error || "")
            color: pane.selected.loading ? Theme.subtext : Theme.bad
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
        ScrollView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: !!pane.selected.found
            TextArea {
                objectName: "valueText"
                readOnly: true
                textFormat: TextEdit.PlainText
                selectByMouse: true
                text: pane.selected.pretty || ""
                font.family: Theme.monoFont
                font.pixelSize: 12
                color: Theme.text
                wrapMode: TextEdit.WrapAnywhere
                background: Rectangle { color: Theme.surfaceAlt; radius: 4 }
            }
        }
    }
}
