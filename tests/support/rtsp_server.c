/* A camera stand-in for tests: serves a video file over RTSP on 127.0.0.1 with GStreamer's
 * RTSP server library. Every client gets its own playback from the start of the file, in real
 * time.
 *
 *   gridsight_rtsp_server <port> <file.mp4> [h264|h265]
 *
 * Serves rtsp://127.0.0.1:<port>/stream; prints "ready" on stdout once listening. With
 * GRIDSIGHT_RTSP_USER and GRIDSIGHT_RTSP_PASSWORD set, clients must log in with them (digest
 * authentication, as most cameras ask). */
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <port> <file.mp4> [h264|h265]\n", argv[0]);
    return 2;
  }
  const char* port = argv[1];
  const char* file = argv[2];
  int h265 = argc > 3 && strcmp(argv[3], "h265") == 0;
  gst_init(&argc, &argv);

  GstRTSPServer* server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server, "127.0.0.1");
  gst_rtsp_server_set_service(server, port);
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  gchar* launch = g_strdup_printf(
      "( filesrc location=\"%s\" ! qtdemux ! %s ! %s name=pay0 pt=96 config-interval=1 )", file,
      h265 ? "h265parse" : "h264parse", h265 ? "rtph265pay" : "rtph264pay");
  gst_rtsp_media_factory_set_launch(factory, launch);
  g_free(launch);
  gst_rtsp_media_factory_set_shared(factory, FALSE);
  const char* user = getenv("GRIDSIGHT_RTSP_USER");
  const char* password = getenv("GRIDSIGHT_RTSP_PASSWORD");
  if (user && password) {
    GstRTSPAuth* auth = gst_rtsp_auth_new();
    GstRTSPToken* token =
        gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "viewer", NULL);
    gst_rtsp_auth_add_digest(auth, user, password, token);
    gst_rtsp_token_unref(token);
    gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_DIGEST);
    gst_rtsp_server_set_auth(server, auth);
    g_object_unref(auth);
    gst_rtsp_media_factory_add_role(factory, "viewer", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                    G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                    G_TYPE_BOOLEAN, TRUE, NULL);
  }
  gst_rtsp_mount_points_add_factory(mounts, "/stream", factory);
  g_object_unref(mounts);
  if (gst_rtsp_server_attach(server, NULL) == 0) {
    fprintf(stderr, "cannot listen on 127.0.0.1:%s\n", port);
    return 1;
  }
  printf("ready rtsp://127.0.0.1:%s/stream\n", port);
  fflush(stdout);
  GMainLoop* loop = g_main_loop_new(NULL, FALSE);
  g_main_loop_run(loop);
  return 0;
}
