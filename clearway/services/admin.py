from django.contrib import admin

from clearway.services.models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "pathway_key")
    prepopulated_fields = {"slug": ("name",)}
